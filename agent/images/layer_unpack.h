#ifndef BERTH_AGENT_IMAGES_LAYER_UNPACK_H_
#define BERTH_AGENT_IMAGES_LAYER_UNPACK_H_

// Unpacks one image layer (a tar, uncompressed, gzip or zstd) into a
// directory, for use as an overlayfs lower layer. Blocking: the store runs it
// in berth-unpack, a process of its own.
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
//
// Only berth-unpack (unpack_main.cc) and the tests link it: libarchive and
// what it pulls in stay out of the agent, which runs berth-unpack once per
// layer (HelperUnpacker).

#include "absl/status/status.h"
#include "agent/images/unpack_report.h"

namespace berth::images {

// Reads the layer from `blob_fd` (from offset 0) into the empty directory
// `dest_dirfd`. On error the directory holds a partial tree: the caller
// unpacks into a temporary directory and removes it on failure. Hostile
// content is InvalidArgument naming the entry.
absl::Status UnpackLayer(int blob_fd, int dest_dirfd, UnpackStats* stats = nullptr);

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_LAYER_UNPACK_H_
