#ifndef BERTH_AGENT_IMAGES_LAYER_UNPACKER_H_
#define BERTH_AGENT_IMAGES_LAYER_UNPACKER_H_

// The image store's seam for unpacking one layer. The agent's is
// HelperUnpacker (helper_unpacker.h: berth-unpack, a process per layer);
// tests may run UnpackLayer in process instead.

#include "absl/status/status.h"
#include "agent/images/unpack_report.h"

namespace berth::images {

class LayerUnpacker {
 public:
  virtual ~LayerUnpacker() = default;

  // Unpacks the layer blob `blob_fd` (read from offset 0) into the empty
  // directory `dest_dirfd`, with UnpackLayer's rules and errors (hostile
  // content is InvalidArgument naming the entry). On error the directory may
  // hold a partial tree: the store unpacks into tmp/ and removes it. Blocking;
  // called on worker threads, several at once.
  virtual absl::Status Unpack(int blob_fd, int dest_dirfd, UnpackStats* stats) = 0;
};

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_LAYER_UNPACKER_H_
