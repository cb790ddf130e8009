// The data stages' registration and the `pipe samples` command (stages/samples.cc).
#pragma once

#include <string>
#include <vector>

namespace pipe {

// Finds the dataset file `pipe samples` shows for `target` (a run, a
// dataset .bin file, or a pipeline/experiment YAML) and `stage` ("" for the
// default, "split.test" for a named output).  *title describes it.
std::string samples_dataset_file(const std::string& target, const std::string& stage, const std::string& results_dir,
                                 const std::string& variant, const std::vector<std::string>& sets, std::string* title);

}  // namespace pipe
