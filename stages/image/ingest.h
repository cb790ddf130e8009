// ingest — reads every source into one Dataset, decoding in parallel.
//
// Sources are read in order; within a source, in listing order (sorted
// folders and files, manifest order, IDX row order), so the output never
// depends on the thread count.  Whatever fails for one image (reading,
// decoding, a header larger than max_pixels, converting or shrinking) skips
// that image with the reason, never the run; class indices follow the
// natural order of the class names over all sources.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "stages/image/dataset.h"
#include "stages/image/decode.h"
#include "stages/image/source.h"

namespace pipe::image {

struct IngestOptions {
  std::vector<SourceSpec> sources;
  DecodeMode decode = DecodeMode::kUnchanged;
  int max_side = 0;  // > 0: shrink larger images to fit (aspect kept)
  uint64_t max_pixels = kDefaultMaxPixels;  // larger images are skipped, read from the header
};

struct IngestResult {
  Dataset data;
  std::vector<Rejected> skipped;  // unreadable, corrupt, wrong type, unmapped label, missing
  size_t considered = 0;          // images listed (kept + skipped)
  std::vector<std::string> source_layouts;
};

// `progress(done, total)` is called now and then from worker threads.
IngestResult ingest(const IngestOptions& options, int threads,
                    const std::function<void(size_t, size_t)>& progress = {});

// Reads a whole file; false (with *error) when it cannot.
bool read_file_bytes(const std::string& path, std::vector<uint8_t>* out, std::string* error);

}  // namespace pipe::image
