#ifndef BERTH_AGENT_IMAGES_LAYER_UNPACK_H_
#define BERTH_AGENT_IMAGES_LAYER_UNPACK_H_

// Unpacks one image layer (a tar, uncompressed, gzip or zstd) into a
// directory, for use as an overlayfs lower layer. Blocking: the store runs it
// on an io::WorkerPool thread.
//
// Safety rules (every entry, every link target):
// - names are cleaned of "." and empty components; an absolute name or a
//   ".." component refuses the whole layer;
// - each entry's parent directory is opened with openat2(RESOLVE_BENEATH |
//   RESOLVE_NO_MAGICLINKS) from the layer directory, so a symlink in the
//   layer that points outside it (a -> /, then a/etc/passwd) fails with
//   EXDEV and refuses the layer; symlinks that stay inside are followed;
// - the entry itself is created with *at() calls that never follow a symlink
//   at the last component (an existing one is replaced, not written through);
// - hard link targets obey the same rules and must already be in the layer;
// - trusted.overlay.* / user.overlay.* xattrs in the tar are dropped: only
//   the unpacker sets overlay metadata (from whiteouts).
//
// Whiteouts become overlayfs's: ".wh.<name>" → a 0/0 character device
// <name> (owned by 0:0), ".wh..wh..opq" → xattr trusted.overlay.opaque=y on
// its directory; other ".wh..wh." names (aufs bookkeeping) are skipped.
// Permissions, setuid bits, mtimes, xattrs and device nodes are kept;
// ownership is kept when running as root (like tar --same-owner).
// Directory modes and mtimes are applied last, so a 0555 directory still
// receives its entries.

#include <cstdint>

#include "absl/status/status.h"

namespace berth::images {

struct UnpackStats {
  uint64_t entries = 0;
  uint64_t bytes = 0;          // regular file data written
  uint64_t whiteouts = 0;      // .wh.<name> entries
  uint64_t opaque_dirs = 0;    // .wh..wh..opq entries
  uint64_t dropped_xattrs = 0;  // overlay xattrs refused, or unsupported here
};

// Reads the layer from `blob_fd` (from offset 0) into the empty directory
// `dest_dirfd`. On error the directory holds a partial tree: the caller
// unpacks into a temporary directory and removes it on failure. Hostile
// content is InvalidArgument naming the entry.
absl::Status UnpackLayer(int blob_fd, int dest_dirfd, UnpackStats* stats = nullptr);

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_LAYER_UNPACK_H_
