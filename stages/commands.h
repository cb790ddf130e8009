// `pipe evaluate` and `pipe predict`: a trained run applied to new images
// (stages/cmd_evaluate.cc, stages/cmd_predict.cc).
#pragma once

#include <memory>
#include <string>

#include "engine/store.h"
#include "stages/model_io.h"
#include "stages/preprocess.h"

namespace pipe {

class Args;

void register_evaluate_command();
void register_predict_command();

// The thread count of a command: --threads, else OMP_NUM_THREADS, else the cores.
int command_threads(int requested);

// The run named by the first argument, and its trained model.
struct TrainedRun {
  std::unique_ptr<Store> store;
  RunRecord run;
  std::unique_ptr<TrainedModel> model;
};
TrainedRun open_trained_run(const Args& args, int threads);

// The images of `input` prepared for `model` (`labelled`: with their
// classes).  Files that cannot be used (one `pipe: warning: PATH: reason`
// line each; larger than `max_pixels` among them), and a model whose images
// came from another clean version, are named on stderr; no usable image is
// an error.
NewImages read_new_images(const std::string& input, const TrainedModel& model, bool labelled, int threads,
                          uint64_t max_pixels);

// --max-pixels N (default image::kDefaultMaxPixels).
uint64_t max_pixels_option(const Args& args);

}  // namespace pipe
