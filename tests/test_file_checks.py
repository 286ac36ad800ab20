"""Present is not enough: an expected file with no bytes, or a BGZF file cut short, is Error."""

from __future__ import annotations

import gzip
import os
import struct
import zlib

from sqlalchemy import select

from seqscan.models import SequencingFile
from seqscan.scanner.runfolder import BGZF_EOF
from tests.conftest import RUN, make_run, rows

BAM = "1_BAM/S1.hg38.bam"
VCF = "2_variants/gatk_per_sample/S1.hg38.vcf.gz"
COVERAGE = "4_QC/bam_stats/samples/S1.per_gene_coverage.tsv.gz"
R1 = "0_fastq/S1_R1.fastq.gz"


def bgzf_block(data: bytes) -> bytes:
    """One BGZF block: a gzip member with the "BC" extra field holding the block size."""
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = deflate.compress(data) + deflate.flush()
    header = b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00BC\x02\x00" + struct.pack("<H", 18 + len(body) + 8 - 1)
    return header + body + struct.pack("<II", zlib.crc32(data), len(data))


def test_the_test_files_are_what_they_claim():
    whole = bgzf_block(b"chr1\t100\n") + BGZF_EOF
    assert gzip.decompress(whole) == b"chr1\t100\n"  # any gzip reader takes a BGZF file


def states_and_messages(app) -> dict[str, tuple[str, str]]:
    statement = select(SequencingFile.path, SequencingFile.data_state, SequencingFile.message)
    return {path: (state, message) for path, state, message in rows(app, statement)}


def test_an_expected_file_of_zero_bytes_is_error_not_complete(app, root, scan):
    run_dir = make_run(root)
    (run_dir / R1).write_bytes(b"")
    (run_dir / "0_fastq/S9_R1.fastq.gz").write_bytes(b"")  # nothing expects it: just Unexpected
    scan()
    found = states_and_messages(app)
    assert found[R1] == ("Error", "empty file")
    assert found["0_fastq/S9_R1.fastq.gz"] == ("Unexpected", "")
    assert found["0_fastq/S1_R2.fastq.gz"] == ("Complete", "")


def test_a_bgzf_file_without_its_end_of_file_block_is_truncated(app, root, scan):
    run_dir = make_run(root)
    block = bgzf_block(b"@read\nACGT\n+\nIIII\n")
    (run_dir / BAM).write_bytes(block)  # the copy stopped before the end
    (run_dir / VCF).write_bytes(block + BGZF_EOF)  # whole
    (run_dir / COVERAGE).write_bytes(gzip.compress(b"gene\tcoverage\n"))  # plain gzip: left alone
    (run_dir / R1).write_bytes(BGZF_EOF[:20])  # BGZF header, cut inside its only block
    first = scan()
    found = states_and_messages(app)
    assert found[BAM] == ("Error", "truncated: no BGZF end-of-file block")
    assert found[R1] == ("Error", "truncated: no BGZF end-of-file block")
    assert found[VCF] == ("Complete", "") and found[COVERAGE] == ("Complete", "")
    assert any(f"{BAM}: truncated" in w.message for w in first.warnings)
    assert first.warnings_count >= 2


def test_unchanged_files_are_not_read_again_and_a_finished_copy_is_complete(app, root, scan, files):
    run_dir = make_run(root)
    (run_dir / BAM).write_bytes(bgzf_block(b"x" * 100))
    first = scan()
    assert "read for their BGZF end-of-file block" in first.log
    (run_dir / "0_goi" / "new.txt").write_text("x")  # the run changes; the BAM does not
    second = scan()
    assert second.runs_reparsed == 1
    assert "0 new or changed .gz/.bam files read for their BGZF end-of-file block" in second.log
    assert states_and_messages(app)[BAM] == ("Error", "truncated: no BGZF end-of-file block")
    with (run_dir / BAM).open("ab") as f:  # the copy finishes
        f.write(BGZF_EOF)
    (run_dir / "1_BAM" / "tmp").write_text("")  # ...and, as copies do, touches the folder
    (run_dir / "1_BAM" / "tmp").unlink()
    scan()
    assert states_and_messages(app)[BAM] == ("Complete", "")


def test_the_bgzf_check_can_be_switched_off(app, root, scan, files):
    run_dir = make_run(root)
    (run_dir / BAM).write_bytes(bgzf_block(b"x"))
    app.config["CHECK_BGZF_EOF"] = False
    assert "BGZF" not in scan().log
    assert files()[BAM] == "Complete"


# --- Written in place (issue 15 §3): cp and rsync --inplace finish a file without touching its folder ---


def write_in_place(path, data: bytes) -> None:
    """Rewrite a file's bytes in place, as `rsync --inplace` does: its folder's mtime stays."""
    folder_times = path.parent.stat()
    with open(path, "r+b") as f:
        f.write(data)
    os.utime(path.parent, ns=(folder_times.st_atime_ns, folder_times.st_mtime_ns))


def test_a_bam_finished_in_place_after_a_truncated_scan_is_complete_on_the_next_scan(app, root, scan, files):
    make_run(root, samples=("S1",))
    bam = root / "idt_exome" / RUN / BAM
    whole = bgzf_block(b"reads") + BGZF_EOF
    bam.write_bytes(whole[: len(whole) - 28])  # the copy stopped before the end-of-file block
    scan()
    assert files()[BAM] == "Error"
    write_in_place(bam, whole)
    done = scan()
    assert done.runs_reparsed == 1
    assert files()[BAM] == "Complete"


def test_an_empty_file_filled_in_place_is_complete_on_the_next_scan(app, root, scan, files):
    make_run(root, samples=("S1",))
    goi = root / "idt_exome" / RUN / "0_goi" / f"{RUN}_S1.txt"
    goi.write_bytes(b"")
    scan()
    assert files()[f"0_goi/{RUN}_S1.txt"] == "Error"
    write_in_place(goi, b"BRCA1\n")
    scan()
    assert files()[f"0_goi/{RUN}_S1.txt"] == "Complete"


def test_an_unchanged_run_with_an_error_file_is_not_parsed_again(app, root, scan, files):
    make_run(root, samples=("S1",))
    (root / "idt_exome" / RUN / "0_goi" / f"{RUN}_S1.txt").write_bytes(b"")
    scan()
    assert scan().runs_reparsed == 0  # looked at (one stat), not parsed: nothing moved
