// Files that must never be seen half-written: the edge's broker login, its last known desired
// state, model packages.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace strata {

// Writes `data` to `path` through `<path>.tmp`, fsync and a rename, then syncs the directory:
// after a crash `path` holds either the old or the new content, never a mix. The parent
// directory is created when missing. `mode` applies to the new file (0600 for secrets).
// Unavailable names the file and the system's reason.
Status WriteFileAtomically(const std::string& path, std::string_view data, unsigned mode = 0644);

// The whole file; NotFound when it does not exist, Unavailable when it cannot be read.
StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace strata
