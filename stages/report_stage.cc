// The `report` stage: the report of the run it belongs to (report/run_report.h),
// written into its artifact folder and into results/reports/<run name>/.
//
// YAML keys:
//   input: evaluate     the evaluate stage whose results are reported
//   gallery: 24         misclassified test images shown (most confident first)
//   samples: 6          test images with a top-k chart and a Grad-CAM map (one per class)
//   gradcam: true       Grad-CAM maps for models with a convolution layer
//
// The artifact is keyed on the evaluation (and so on everything upstream);
// when it is found in the cache the stage does not run, and
// results/reports/<run name>/ is not written for that run — `pipe report RUN`
// writes it for any run at any time.
#include "engine/posix.h"  // first: see posix.h

#include "engine/paths.h"
#include "engine/stage.h"
#include "engine/store.h"
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
    std::string dir = default_report_dir(ctx.run().results_dir, ctx.run().name);
    report::write_report(r, dir);
    ctx.log("report " + display_path(join_path(dir, "report.html")));
  }
};

}  // namespace

void register_report_stages() {
  Schema schema{{
      required(input("input", "the evaluate stage whose results are reported")),
      integer("gallery", 24, "misclassified test images shown"),
      integer("samples", 6, "test images with a top-k chart and a Grad-CAM map"),
      boolean("gradcam", true, "Grad-CAM maps for models with a convolution layer"),
  }};
  Registry::global().add({"report", 1, "writes report.html and report.md for the run", schema, {}, false,
                          [] { return std::make_unique<ReportStage>(); }});
  register_compare_command();
  register_report_command();
}

}  // namespace pipe
