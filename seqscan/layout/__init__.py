"""Layout profiles: which paths a run folder should hold, as data a lab can edit (profiles/*.toml)."""

from seqscan.layout.load import builtin_names, load_profile, parse_profile
from seqscan.layout.profile import UNKNOWN_TYPE, Expected, Profile, ProfileError, SampleLike

__all__ = [
    "UNKNOWN_TYPE",
    "Expected",
    "Profile",
    "ProfileError",
    "SampleLike",
    "builtin_names",
    "load_profile",
    "parse_profile",
]
