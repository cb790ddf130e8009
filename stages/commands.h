// `pipe evaluate` and `pipe predict`: a trained run applied to new images
// (stages/cmd_evaluate.cc, stages/cmd_predict.cc).
#pragma once

#include <memory>
#include <string>

namespace pipe {

class Store;

void register_evaluate_command();
void register_predict_command();

// Helpers the two commands share.
std::unique_ptr<Store> open_results(const std::string& results_dir);
int command_threads(int requested);  // --threads, else OMP_NUM_THREADS, else the cores

}  // namespace pipe
