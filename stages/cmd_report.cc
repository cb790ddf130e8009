// pipe report RUN [--out DIR] — writes report.html (self-contained: inline
// SVG figures, embedded images and CSS) and report.md with PNG figures beside
// it, by default into results/reports/<run name>/.  Prints the two paths.
// Contents: report/run_report.h.
#include "engine/posix.h"  // first: see posix.h

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "engine/cli.h"
#include "engine/error.h"
#include "engine/paths.h"
#include "engine/store.h"
#include "report/run_report.h"
#include "stages/commands.h"
#include "stages/report_commands.h"
#include "stages/run_records.h"

namespace fs = std::filesystem;

namespace pipe {

std::string default_report_dir(const std::string& results_dir, const std::string& run_name) {
  return join_path(join_path(results_dir, "reports"), run_name);
}

namespace {

// The report folder, made before any work: a folder that cannot be made or
// written is a wrong --out, not a failed stage.
void make_report_dir(const std::string& dir, bool given) {
  const std::string where = given ? "--out " + dir : display_path(dir);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw ConfigError("is a file, not a folder").at(where).hint("--out names the folder report.html goes into");
  fs::create_directories(dir, ec);
  if (ec)
    throw ConfigError("cannot create the folder: " + ec.message())
        .at(where)
        .hint("give --out a folder you can write to");
  if (::access(dir.c_str(), W_OK) != 0)
    throw ConfigError("cannot write into the folder: " + std::string(std::strerror(errno)))
        .at(where)
        .hint("give --out a folder you can write to");
}

int cmd_report(const Args& args) {
  auto store = Store::open_existing(args.results_dir());
  RunRecord run = store->find_run(args.positional()[0]);
  ReportOptions options;
  options.threads = command_threads(args.get_int("threads", 0));
  options.gallery = args.get_int("gallery", options.gallery);
  std::string dir = args.has("out") ? args.get("out") : default_report_dir(args.results_dir(), run.name);
  make_report_dir(dir, args.has("out"));
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
