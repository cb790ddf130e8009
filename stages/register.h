// Registration functions of the built-in stage kinds and commands, each
// defined beside what it registers; stages/register.cc calls them in order.
#pragma once

namespace pipe {

void register_threads();  // stages/threads.cc: OpenMP / oneDNN / OpenCV thread counts
void register_report_stages();  // stages/report_stage.cc: the report stage, pipe compare, pipe report
void register_train_stages();  // stages/train.cc: the train and evaluate stages, pipe evaluate, pipe predict
void register_data_stages();  // stages/samples.cc: ingest, clean, split, augment, pipe samples

}  // namespace pipe
