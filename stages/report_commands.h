// `pipe compare` and `pipe report` (stages/cmd_compare.cc, stages/cmd_report.cc),
// registered with the report stage by register_report_stages().
#pragma once

#include <string>

namespace pipe {

void register_compare_command();
void register_report_command();

// Where `pipe report` and the report stage put a run's report: results/reports/<run name>/.
std::string default_report_dir(const std::string& results_dir, const std::string& run_name);

}  // namespace pipe
