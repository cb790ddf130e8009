// pipe samples RUN|FILE [--stage ID[.OUTPUT]] [--per-class N] [--out FILE] [--seed S]
//                       [--variant NAME] [--set KEY=VALUE]...
//
// A PNG contact sheet of what a stage produced: one row per class, N random
// samples each.  RUN is a run (id, prefix or name); FILE is a dataset .bin
// file, or a pipeline/experiment YAML (then the stage's cached artifact for
// the current settings, without running anything).  The default stage is
// the last `clean` stage, else the last data stage; `split.test` picks a
// split's output (default train).  An online augment stage's samples are
// shown transformed by its ops.  The sheet goes to --out FILE.png, else to
// ./samples[-STAGE].png (-2, -3 ... when taken).  Prints the PNG's path.
//
// Also: register_data_stages(), which registers ingest, clean, split,
// augment and this command.
#include "engine/posix.h"  // first: see posix.h
#include "stages/samples.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

#include "engine/cli.h"
#include "engine/config.h"
#include "engine/executor.h"
#include "engine/graph.h"
#include "engine/paths.h"
#include "engine/progress.h"
#include "engine/store.h"
#include "stages/augment.h"
#include "stages/clean.h"
#include "stages/image/contact_sheet.h"
#include "stages/image/dataset.h"
#include "stages/ingest.h"
#include "stages/preprocess.h"
#include "stages/register.h"
#include "stages/split.h"

namespace fs = std::filesystem;

namespace pipe {

namespace {

bool data_kind(const std::string& kind) {
  return kind == "ingest" || kind == "clean" || kind == "split" || kind == "augment";
}

struct StageChoice {
  std::string id, output;
};

StageChoice parse_stage(const std::string& stage) {
  size_t dot = stage.find('.');
  if (dot == std::string::npos) return {stage, ""};
  return {stage.substr(0, dot), stage.substr(dot + 1)};
}

// The default stage among (id, kind) pairs in pipeline order.
std::string default_stage(const std::vector<std::pair<std::string, std::string>>& stages) {
  std::string clean, last;
  for (const auto& [id, kind] : stages) {
    if (kind == "clean") clean = id;
    if (data_kind(kind)) last = id;
  }
  return clean.empty() ? last : clean;
}

std::string dataset_in(const std::string& dir, const std::string& output, const std::string& where) {
  std::string file = join_path(dir, image::dataset_file_name(output));
  if (output.empty() && !fs::exists(file) && fs::exists(join_path(dir, image::dataset_file_name("train"))))
    file = join_path(dir, image::dataset_file_name("train"));
  if (!fs::exists(file))
    throw ConfigError("stage " + where + " has no dataset" + (output.empty() ? "" : " output '" + output + "'"))
        .hint("pipe samples shows the output of ingest, clean, split (split.train|val|test) or augment");
  return file;
}

// Where the sheet goes, checked before any work.  --out FILE.png is written
// (replaced if it exists); without it, samples[-STAGE].png in the current
// folder, or samples[-STAGE]-2.png, -3 ... when that name is taken: a second
// sheet never replaces the first.
std::string sheet_file(const Args& args) {
  std::string out = args.get("out");
  if (out.empty()) {
    std::string stage = args.get("stage");
    for (char& ch : stage)
      if (ch == '/' || ch == '.') ch = '-';
    std::string stem = "samples" + (stage.empty() ? std::string() : "-" + stage);
    out = stem + ".png";
    for (int n = 2; fs::exists(out); ++n) out = stem + "-" + std::to_string(n) + ".png";
    return out;
  }
  std::string where = "--out " + out;
  std::string ext = fs::path(out).extension().string();
  for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (fs::is_directory(out))
    throw ConfigError("is a folder").at(where).hint("give a file name, e.g. --out " + join_path(out, "samples.png"));
  if (ext != ".png")
    throw ConfigError("the sheet is written as PNG, not " + (ext.empty() ? "a file without extension" : ext))
        .at(where)
        .hint("name the file .png, e.g. --out " + fs::path(out).replace_extension(".png").string());
  std::string parent = fs::path(out).parent_path().string();
  if (!parent.empty() && !fs::is_directory(parent))
    throw ConfigError("no folder " + parent).at(where).hint("create it first, or write the sheet elsewhere");
  if (::access(parent.empty() ? "." : parent.c_str(), W_OK) != 0)
    throw ConfigError("cannot write into " + (parent.empty() ? std::string("the current folder") : parent))
        .at(where)
        .hint("write the sheet into a folder you can write to");
  return out;
}

int cmd_samples(const Args& args) {
  std::string target = args.positional()[0];
  int per_class = args.at_least("per-class", 8, 1, "the samples shown per class");
  std::string out = sheet_file(args);
  std::string title;
  std::string file = samples_dataset_file(target, args.get("stage"), args.results_dir(), args.get("variant"),
                                          args.all("set"), &title);
  image::DatasetView data = image::DatasetView::open(file);
  int h, w, c;
  data.common_shape(&h, &w, &c);
  title += " - " + std::to_string(data.size()) + " images, " + std::to_string(data.classes().size()) + " classes" +
           (h > 0 ? ", " + std::to_string(h) + "x" + std::to_string(w) + "x" + std::to_string(c) : ", mixed sizes");
  // An online augment stage stores its input unchanged and the ops beside it:
  // show the samples as one epoch of the train loader would see them.
  image::SheetOptions options;
  options.transform = online_augmentation(fs::path(file).parent_path().string()).transform;
  if (options.transform) title += ", online ops applied";
  options.per_class = per_class;
  options.seed = static_cast<uint64_t>(args.get_int("seed", 0));
  options.title = title;
  image::write_png(out, image::contact_sheet(data, options));
  std::printf("%s\n", out.c_str());
  return 0;
}

}  // namespace

std::string samples_dataset_file(const std::string& target, const std::string& stage, const std::string& results_dir,
                                 const std::string& variant, const std::vector<std::string>& sets, std::string* title) {
  StageChoice choice = parse_stage(stage);
  std::string ext = fs::path(target).extension().string();
  if (fs::is_regular_file(target) && ext == ".bin") {
    *title = display_path(absolute_path(target));
    return target;
  }
  if (fs::is_regular_file(target) && (ext == ".yaml" || ext == ".yml")) {
    ExpandOptions expand;
    for (const auto& s : sets) expand.sets.push_back(parse_set(s));
    expand.variant = variant;
    std::vector<RunSpec> runs = expand_runs(target, expand);
    Graph graph = Graph::build(runs.front().pipeline, Registry::global());
    std::vector<std::pair<std::string, std::string>> stages;
    for (int i : graph.order()) stages.push_back({graph.stages()[i].spec.id, graph.stages()[i].spec.kind});
    if (choice.id.empty()) choice.id = default_stage(stages);
    int index = graph.index_of(choice.id);
    if (index < 0) {
      std::vector<std::string> ids;
      for (const auto& s : stages) ids.push_back(s.first);
      throw ConfigError("no stage '" + choice.id + "' in " + display_path(target)).at("--stage").hint("stages: " + join(ids));
    }
    auto not_run = [&] {
      return ConfigError("stage '" + choice.id + "' has not run with the current settings of " + display_path(target))
          .hint("run `pipe run " + display_path(target) + " --until " + choice.id +
                "` first: it runs that stage and the ones it needs (or give a run: pipe samples RUN)");
    };
    if (!Store::exists(results_dir)) throw not_run();
    auto store = Store::open_existing(results_dir);
    RealDisk disk;
    Executor executor(*store, disk, Progress::null(), ExecOptions{});
    std::vector<PlannedStage> plan = executor.plan(graph, runs.front().name);
    const std::string& key = plan[index].key;
    if (!store->has_result(key) || !fs::is_directory(store->artifact_dir(key))) throw not_run();
    *title = runs.front().name + " / " + choice.id;
    return dataset_in(store->artifact_dir(key), choice.output, "'" + choice.id + "'");
  }
  if (fs::exists(target) && !fs::is_directory(target))
    throw ConfigError("not a dataset .bin file or a pipeline YAML").at(target).hint("pipe samples RUN|FILE");
  auto store = Store::open_existing(results_dir);
  RunRecord run = store->find_run(target);
  std::vector<StageRunRecord> stage_runs = store->stage_runs(run.id);
  std::sort(stage_runs.begin(), stage_runs.end(),
            [](const StageRunRecord& a, const StageRunRecord& b) { return a.position < b.position; });
  std::vector<std::pair<std::string, std::string>> stages;
  for (const auto& s : stage_runs) stages.push_back({s.stage_id, s.kind});
  if (choice.id.empty()) choice.id = default_stage(stages);
  if (choice.id.empty()) throw ConfigError("run '" + run.name + "' has no data stage").hint("give --stage ID");
  auto found = store->finished_stage(run.id, choice.id);
  if (!found) {
    std::vector<std::string> ids;
    for (const auto& s : stages) ids.push_back(s.first);
    throw ConfigError("run '" + run.name + "' has no finished stage '" + choice.id + "'").at("--stage")
        .hint("its stages: " + join(ids));
  }
  *title = run.name + " / " + found->stage_id;
  return dataset_in(store->artifact_dir(found->key), choice.output, "'" + found->stage_id + "'");
}

void register_data_stages() {
  Registry& r = Registry::global();
  r.add(ingest_stage_kind());
  r.add(clean_stage_kind());
  r.add(split_stage_kind());
  r.add(augment_stage_kind());
  register_command({"samples",
                    "RUN|FILE [--stage ID[.OUTPUT]] [--per-class N] [--out FILE] [--seed S] [--variant NAME] "
                    "[--set KEY=VALUE]...",
                    "PNG contact sheet of what a data stage produced (N random samples per class)",
                    {"stage", "per-class", "out", "seed", "variant", "set"},
                    {},
                    1,
                    1,
                    cmd_samples});
}

}  // namespace pipe
