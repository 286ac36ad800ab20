import pytest

from seqscan.scanner.samplesheet import SampleSheetError, parse_samplesheet

LEGACY = (
    "FCID,Lane,SampleID,SampleRef,Index,Description,Control,Recipe,Operator,SampleProject\n"
    "C7VFTACXX,3,hiseq_sample1,hg19,GCCAAT,Foo,N,,XX,ProjA\n"
    "C7VFTACXX,4,hiseq_sample2,hg19,CAGATC-TTAGGC,Foo,N,,XX,ProjA\n"
    "#_IEMVERSION_3_TruSeq LT,#_IEMVERSION_3_TruSeq LT,,,,,,,,\n"
)
IEM_V1 = (
    "[Header]\nIEMFileVersion,4\nExperiment Name,EXP_1\n\n[Reads]\n151\n151\n\n[Settings]\nAdapter,CTGTCTCTTATA\n\n"
    "[Data]\nLane,Sample_ID,Sample_Name,Sample_Plate,Sample_Well,I7_Index_ID,index,I5_Index_ID,index2,Sample_Project,Description\n"
    "1,ID-1,Name-1,,,N701,ACGTACGT,S501,TGCATGCA,ProjB,\n"
    "2,ID-1,Name-1,,,N701,ACGTACGT,S501,TGCATGCA,ProjB,\n"
    "1,ID-2,,,,N702,CCGTACGT,S502,AGCATGCA,ProjB,\n"
)
V2 = (
    "[Header]\nFileFormatVersion,2\nRunName,RUN_V2\n\n[Reads]\nRead1Cycles,151\n\n[BCLConvert_Settings]\nSoftwareVersion,3.9.3\n\n"
    "[BCLConvert_Data]\nLane,Sample_ID,Index,Index2\n1,V2-A,ACGTACGT,TGCATGCA\n1,V2-B,CCGTACGT,AGCATGCA\n\n"
    "[Cloud_Data]\nSample_ID,ProjectName,LibraryName\nV2-A,P,L\n"
)


def test_legacy_hiseq_sheet_without_sections_parses_with_split_dual_index():
    sheet = parse_samplesheet(LEGACY.encode())
    assert sheet.format == "legacy"
    assert [(s.sample_id, s.name, s.lane, s.project) for s in sheet.samples] == [
        ("hiseq_sample1", "hiseq_sample1", "3", "ProjA"),
        ("hiseq_sample2", "hiseq_sample2", "4", "ProjA"),
    ]
    assert (sheet.samples[1].index, sheet.samples[1].index2) == ("CAGATC", "TTAGGC")


def test_iem_v1_sheet_parses_names_lanes_and_bcl2fastq_sample_numbers():
    sheet = parse_samplesheet(IEM_V1.encode())
    assert sheet.format == "v1" and sheet.experiment == "EXP_1"
    assert [(s.sample_id, s.name, s.lane, s.number) for s in sheet.samples] == [
        ("ID-1", "Name-1", "1", 1),
        ("ID-1", "Name-1", "2", 1),
        ("ID-2", "ID-2", "1", 2),
    ]
    assert sheet.samples[0].index2 == "TGCATGCA"


def test_v2_sheet_reads_bclconvert_data_and_ignores_cloud_data():
    sheet = parse_samplesheet(V2.encode())
    assert sheet.format == "v2" and sheet.experiment == "RUN_V2"
    assert [(s.sample_id, s.index, s.index2) for s in sheet.samples] == [
        ("V2-A", "ACGTACGT", "TGCATGCA"),
        ("V2-B", "CCGTACGT", "AGCATGCA"),
    ]


def test_bom_crlf_trailing_commas_and_latin1_are_tolerated():
    text = IEM_V1.replace("\n", ",,,\r\n").replace("Name-1", "Müller")
    for data in ("\ufeff" + text).encode("utf-8"), text.encode("latin-1"):
        sheet = parse_samplesheet(data)
        assert [s.name for s in sheet.samples][:1] == ["Müller"]
        assert len(sheet.samples) == 3


def test_same_content_gives_same_hash_and_an_edit_changes_it():
    assert parse_samplesheet(V2.encode()).sha256 == parse_samplesheet(V2.encode()).sha256
    assert parse_samplesheet(V2.encode()).sha256 != parse_samplesheet(V2.replace("V2-B", "V2-C").encode()).sha256


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"\x00\x01\x02garbage", "binary"),
        (b"hello,world\nthis is,not a sheet\n", "no [Data]"),
        (b"[Data]\nLane,Index\n1,ACGT\n", "no Sample_ID column"),
        (b"[Header]\nIEMFileVersion,4\n[Data]\n", "no header row"),
    ],
)
def test_garbage_sheets_raise_a_clear_reason(data, reason):
    with pytest.raises(SampleSheetError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        parse_samplesheet(data)


def test_a_sample_name_with_a_path_separator_is_dropped_with_a_warning():
    sheet = parse_samplesheet(b"[Data]\nSample_ID,Sample_Name\nok,ok\nbad,../../etc/passwd\n")
    assert [s.sample_id for s in sheet.samples] == ["ok"]
    assert "path separator" in sheet.warnings[0]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_sheet_from_excel_parses_like_its_utf8_twin(encoding):
    bom = {"utf-16-le": "\ufeff", "utf-16-be": "\ufeff"}.get(encoding, "")  # "utf-16" writes its own BOM
    data = (bom + V2.replace("\n", "\r\n")).encode(encoding)
    assert b"\x00" in data  # what made it look binary
    sheet = parse_samplesheet(data)
    assert [s.sample_id for s in sheet.samples] == [s.sample_id for s in parse_samplesheet(V2.encode()).samples]


def test_true_binary_and_broken_utf16_keep_a_clear_reason():
    with pytest.raises(SampleSheetError, match="binary data"):
        parse_samplesheet(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(SampleSheetError, match="starts as UTF-16 but does not decode"):
        parse_samplesheet(b"\xff\xfe[\x00D\x00\x00\xd8")  # a lone surrogate


FIELDS_HEADER = "[Header]\nFileFormatVersion,2\n[BCLConvert_Data]\nSample_ID,Sample_Name,Sample_Project,Lane,index\n"


@pytest.mark.parametrize(
    "row, field, why",
    [
        ("okid,ok,p,1/../../../../../outside/PWNED,A", "Lane", "not a lane number"),
        ("okid,ok,p,0,A", "Lane", "not a lane number"),
        ("okid,ok,p,two,A", "Lane", "not a lane number"),
        ("okid,ok,p,-1,A", "Lane", "not a lane number"),
        ("okid,ok,p,9,A", "Lane", "the flowcell has 4 lanes"),
        ("../okid,ok,p,1,A", "Sample_ID", "path separator"),
        ("ok..id,ok,p,1,A", "Sample_ID", "'..'"),
        ("okid,o\\k,p,1,A", "Sample_Name", "path separator"),
        ("okid,..,p,1,A", "Sample_Name", "'..'"),
        ("okid,-rf,p,1,A", "Sample_Name", "starts with '-'"),
        ("okid,o\x1bk,p,1,A", "Sample_Name", "control character"),
        ("okid,ok,../p,1,A", "Sample_Project", "path separator"),
        ("okid,ok,p\x7f,1,A", "Sample_Project", "control character"),
        ("-okid,,p,1,A", "Sample_ID", "starts with '-'"),
    ],
)
def test_a_value_that_would_fill_a_path_badly_is_a_warning_naming_row_and_field_and_the_row_is_ignored(row, field, why):
    data = FIELDS_HEADER + "good1,good1,p,1,ACGT\n" + row + "\ngood2,good2,p,2,TTGG\n"
    sheet = parse_samplesheet(data.encode(), lane_count=4)
    assert [(s.sample_id, s.lane, s.number) for s in sheet.samples] == [("good1", "1", 1), ("good2", "2", 2)]
    [warning] = sheet.warnings
    assert warning.startswith("data row 3 ") and f": {field} " in warning and why in warning, warning
    assert warning.endswith("; row ignored")


def test_lanes_are_checked_against_runinfo_only_when_its_lane_count_is_known():
    data = (FIELDS_HEADER + "a,a,p,8,ACGT\n").encode()
    assert [s.lane for s in parse_samplesheet(data).samples] == ["8"]
    assert parse_samplesheet(data, lane_count=8).samples and not parse_samplesheet(data, lane_count=2).samples
