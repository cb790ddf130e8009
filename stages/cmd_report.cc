// pipe report RUN [--out DIR] — writes report.html (self-contained: inline
// SVG figures, embedded images and CSS) and report.md with PNG figures beside
// it, by default into results/reports/<run name>/.  Prints the two paths.
// Contents: report/run_report.h.
#include "engine/posix.h"  // first: see posix.h

#include <cstdio>

#include "engine/cli.h"
#include "engine/error.h"
#include "engine/paths.h"
#include "engine/store.h"
#include "report/run_report.h"
#include "stages/commands.h"
#include "stages/report_commands.h"
#include "stages/run_records.h"

namespace pipe {

std::string default_report_dir(const std::string& results_dir, const std::string& run_name) {
  return join_path(join_path(results_dir, "reports"), run_name);
}

namespace {

int cmd_report(const Args& args) {
  auto store = Store::open_existing(args.results_dir());
  RunRecord run = store->find_run(args.positional()[0]);
  ReportOptions options;
  options.threads = command_threads(args.get_int("threads", 0));
  options.gallery = args.get_int("gallery", options.gallery);
  std::string dir = args.has("out") ? args.get("out") : default_report_dir(args.results_dir(), run.name);
  report::Report r = report::build_run_report(run_report_input(*store, run, options));
  report::write_report(r, dir);
  std::printf("%s\n%s\n", display_path(join_path(dir, "report.html")).c_str(),
              display_path(join_path(dir, "report.md")).c_str());
  return 0;
}

}  // namespace

void register_report_command() {
  register_command({"report", "RUN [--out DIR]", "report.html + report.md with PNG figures for one run",
                    {"out", "threads", "gallery"}, {}, 1, 1, cmd_report});
}

}  // namespace pipe
