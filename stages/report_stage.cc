// The `report` stage: the report of the run it belongs to (report/run_report.h),
// written into its artifact folder and into results/reports/<run name>/.
//
// YAML keys:
//   input: evaluate     the evaluate stage whose results are reported
//   gallery: 24         misclassified test images shown (most confident first)
//   samples: 6          test images with a top-k chart and a Grad-CAM map (one per class)
//   gradcam: true       Grad-CAM maps for models with a convolution layer
//
// The artifact (report/ plus run.json naming the run that wrote it) is keyed
// on the evaluation and so on everything upstream.  A later run that finds it
// in the cache gets a copy in results/reports/<its name>/, headed by a note
// that says which run wrote it (the figures and numbers are the same; the
// run details in the summary are the writer's).  `pipe report RUN` writes a
// report of any run itself, at any time.
#include "engine/posix.h"  // first: see posix.h

#include "engine/paths.h"
#include "engine/stage.h"
#include "engine/store.h"
#include "report/document.h"
#include "report/run_report.h"
#include "stages/register.h"
#include "stages/report_commands.h"
#include "stages/run_records.h"

namespace pipe {

namespace {

class ReportStage : public Stage {
 public:
  void run(StageContext& ctx) override {
    const auto& p = ctx.params();
    InputRef in = ctx.input("input");
    if (in.kind != "evaluate")
      throw ConfigError("input: expected an evaluate stage, got a " + in.kind + " stage").at(ctx.mark("/input"));
    auto store = Store::open_existing(ctx.run().results_dir);
    RunRecord run = store->find_run(ctx.run().id);
    ReportOptions options;
    options.gallery = p["gallery"].get<int>();
    options.samples = p["samples"].get<int>();
    options.gradcam = p["gradcam"].get<bool>();
    options.threads = std::max(1, ctx.threads());
    report::RunReportInput data = run_report_input(*store, run, options);
    report::Report r = report::build_run_report(data);
    report::write_report(r, ctx.output_path("report"));
    ctx.disk().write_file(ctx.output_path("run.json"), json{{"id", run.id}, {"name", run.name}}.dump());
    // The same bytes as the artifact (rendering again would cost as much again).
    std::string dir = default_report_dir(ctx.run().results_dir, ctx.run().name);
    report::copy_report(ctx.output_path("report"), dir, "");
    ctx.log("report " + display_path(join_path(dir, "report.html")));
  }

  void reuse(StageContext& ctx) override {
    FileStat st;
    json writer;
    if (ctx.disk().stat(ctx.output_path("run.json"), &st))
      writer = json::parse(ctx.disk().read_file(ctx.output_path("run.json")), nullptr, false);
    std::string by = "an earlier run";
    if (writer.is_object() && writer.value("name", "") != "")
      by = writer.value("name", "") + " (" + writer.value("id", "") + ")";
    const RunInfo& self = ctx.run();
    std::string note = "Copied for run " + self.name + " (" + self.id + "), which found this report in the cache: " +
                       "it was written by run " + by + " from the same data, parameters and model. The figures " +
                       "and numbers hold for both runs; the run details below are those of the writer. " +
                       "pipe report " + self.name + " writes a report of " + self.name + " itself.";
    std::string dir = default_report_dir(self.results_dir, self.name);
    report::copy_report(ctx.output_path("report"), dir, note);
    ctx.log("report " + display_path(join_path(dir, "report.html")) + " (copied from " + by + ")");
  }
};

}  // namespace

void register_report_stages() {
  Schema schema{{
      required(input("input", "the evaluate stage whose results are reported")),
      at_least(integer("gallery", 24, "misclassified test images shown"), 0),
      at_least(integer("samples", 6, "test images with a top-k chart and a Grad-CAM map"), 0),
      boolean("gradcam", true, "Grad-CAM maps for models with a convolution layer"),
  }};
  // Version 2: the artifact names the run that wrote it (run.json).
  Registry::global().add({"report", 2, "writes report.html and report.md for the run", schema, {}, false,
                          [] { return std::make_unique<ReportStage>(); }});
  register_compare_command();
  register_report_command();
}

}  // namespace pipe
