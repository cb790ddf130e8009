// `pipe evaluate` and `pipe predict`: a trained run applied to new images
// (stages/cmd_evaluate.cc, stages/cmd_predict.cc).
#pragma once

namespace pipe {

void register_evaluate_command();
void register_predict_command();

// The thread count of a command: --threads, else OMP_NUM_THREADS, else the cores.
int command_threads(int requested);

}  // namespace pipe
