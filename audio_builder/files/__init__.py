"""Files on disk, the edge every wing writes and reads through: whole or not at all
(`writes`: atomic writes, temporaries and their cleanup, and an error of the operating system
as one friendly line), termination signals that unwind the program so every clean-up runs (`signals`),
read with a bound (`entries`: plain files of a capped size, and checked
entries kept between runs), and the user's own folders (`folders`).

Part of the core. May import: the core (`errors`) and nothing else of the package.
"""

from audio_builder.files.entries import (
    TRUSTED_AFTER_S,
    checked_bytes,
    checked_header_bytes,
    read_checked,
    read_entry,
    read_plain,
    stored_size,
)
from audio_builder.files.folders import (
    CACHE_VARIABLE,
    cache_folder,
    checked_folder,
    user_folder,
)
from audio_builder.files.signals import Stopped, how_stopped, signals_unwind
from audio_builder.files.writes import (
    HOST,
    STALE_AFTER_S,
    TEMPORARY,
    os_error,
    process_alive,
    remove_stale_temporaries,
    replace_together,
    target_name,
    temporary_beside,
    write_file_atomically,
    write_files_together,
)

__all__ = ["CACHE_VARIABLE", "HOST", "STALE_AFTER_S", "TEMPORARY", "TRUSTED_AFTER_S", "Stopped",
           "cache_folder", "checked_bytes", "checked_folder", "checked_header_bytes", "how_stopped",
           "os_error", "process_alive",
           "read_checked", "read_entry", "read_plain", "remove_stale_temporaries",
           "replace_together", "signals_unwind", "stored_size", "target_name", "temporary_beside",
           "user_folder",
           "write_file_atomically", "write_files_together"]
