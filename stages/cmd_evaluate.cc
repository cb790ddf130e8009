// pipe evaluate RUN DIR|MANIFEST|IDX [--format table|json] [--max-pixels N] —
// scores a trained run on new labelled images through the run's own
// preprocessing and class mapping, prints the scores and stores them under
// the run.  A file that cannot be used (unreadable, damaged, its header
// declaring more than N pixels, default 100 megapixels) is skipped with a
// `pipe: warning: PATH: reason` line.
//
// JSON ("run" is the run id; "skipped" counts unreadable files, each listed on stderr):
//       {"run","n","skipped","accuracy","loss","macro_f1",
//        "per_class":[{"class","precision","recall","f1","support"}],
//        "confusion":{"classes":[...],"matrix":[[...]]}}
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "engine/cli.h"
#include "engine/environment.h"
#include "engine/error.h"
#include "engine/paths.h"
#include "engine/store.h"
#include "engine/table.h"
#include "stages/commands.h"
#include "stages/evaluate.h"
#include "stages/image/decode.h"
#include "stages/model_io.h"
#include "stages/preprocess.h"

namespace pipe {

using json = nlohmann::json;

int command_threads(int requested) {
  return requested > 0 ? requested : default_threads();
}

TrainedRun open_trained_run(const Args& args, int threads) {
  TrainedRun t;
  t.store = Store::open_existing(args.results_dir());
  t.run = t.store->find_run(args.positional()[0]);
  std::string dir;
  try {
    dir = trained_model_dir(*t.store, t.run);
  } catch (Error& e) {
    // A run without a model is a wrong RUN argument, not a stage that failed now.
    e.kind(ErrorKind::kConfig);
    if (t.run.status != "done")
      e.hint("run '" + t.run.name + "' " + t.run.status +
             "; give a run whose training finished (`pipe runs` lists them with their status)");
    throw;
  }
  t.model = TrainedModel::load(dir, threads);
  return t;
}

uint64_t max_pixels_option(const Args& args) {
  if (!args.has("max-pixels")) return image::kDefaultMaxPixels;
  std::string v = args.get("max-pixels");
  char* end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || *end || v[0] == '-' || n == 0 || errno == ERANGE)
    throw ConfigError("expected a whole number of pixels, at least 1, got '" + v + "'")
        .at("--max-pixels")
        .hint("images whose header declares more pixels are skipped; the default is " +
              std::to_string(image::kDefaultMaxPixels));
  return n;
}

NewImages read_new_images(const std::string& input, const TrainedModel& model, bool labelled, int threads,
                          uint64_t max_pixels) {
  std::string mismatch = preprocess_mismatch(model.info());
  if (!mismatch.empty()) std::fprintf(stderr, "pipe: warning: %s\n", mismatch.c_str());
  const std::string what = labelled ? "a folder DIR/<class>/<file>, a CSV manifest (path,label) or an IDX images "
                                     "file with its labels file beside it (x-labels-idx1-ubyte.gz)"
                                   : "an image file, a folder of images or a CSV manifest with a `path` column";
  NewImages images;
  try {
    images = labelled ? read_labelled_images(input, model.info(), threads, max_pixels)
                      : read_unlabelled_images(input, model.info(), threads, max_pixels);
  } catch (Error& e) {
    // The ingest's layout errors name keys of its YAML source, which the
    // command does not take; here they are a wrong argument (exit 2).
    const std::string& h = e.hint_text();
    if (h.find("label_from_filename") != std::string::npos || h.find("`labels:`") != std::string::npos)
      e.hint("pipe " + std::string(labelled ? "evaluate" : "predict") + " takes " + what).kind(ErrorKind::kConfig);
    throw;
  }
  for (const auto& [path, reason] : images.skipped)
    std::fprintf(stderr, "pipe: warning: %s: %s\n", path.c_str(), reason.c_str());
  if (images.data.samples.empty())
    throw ConfigError("no image could be read" +
                      (images.skipped.empty() ? std::string() : " (" + std::to_string(images.skipped.size()) +
                                                                    " skipped, see the warnings above)"))
        .at(input)
        .hint("give " + what);
  return images;
}

namespace {

json or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

int cmd_evaluate(const Args& args) {
  std::string format = args.choice("format", {"table", "json"});
  int threads = command_threads(args.get_int("threads", 0));
  auto [store, run, model] = open_trained_run(args, threads);
  const std::string& input = args.positional()[1];
  NewImages images = read_new_images(input, *model, true, threads, max_pixels_option(args));

  std::vector<float> probs;
  DatasetSource source(images.data);
  model->predict(source, &probs);
  std::vector<int> truth;
  for (const auto& s : images.data.samples) truth.push_back(s.label);
  Evaluation e = score(probs, truth, model->classes(), 5);

  json result = {{"run", run.id},
                 {"n", e.n},
                 {"skipped", images.skipped.size()},
                 {"accuracy", or_null(e.accuracy)},
                 {"loss", or_null(e.loss)},
                 {"macro_f1", or_null(e.macro_f1)},
                 {"per_class", e.per_class},
                 {"confusion", e.confusion}};
  store->add_evaluation(run.id, absolute_path(input), result);

  if (format == "json") {
    std::printf("%s\n", result.dump(2).c_str());
    return 0;
  }
  std::string out = "run       " + run.id + "  " + run.name + "\ndata      " + input + "\nimages    " +
                    std::to_string(e.n) + " (" + std::to_string(images.skipped.size()) + " skipped)\naccuracy  " +
                    fixed(e.accuracy) + "\nmacro_f1  " + fixed(e.macro_f1) + "\nloss      " + fixed(e.loss) + "\n\n";
  Table per({"class", "precision", "recall", "f1", "support"});
  for (const auto& c : e.per_class) {
    auto v = [&](const char* k) { return c[k].is_number() ? fixed(c[k].get<double>()) : std::string("-"); };
    per.add({c["class"].get<std::string>(), v("precision"), v("recall"), v("f1"),
             std::to_string(c["support"].get<long long>())});
  }
  out += per.text() + "\nconfusion (rows: true, columns: predicted)\n";
  std::vector<std::string> header = {""};
  for (const auto& c : model->classes()) header.push_back(c);
  Table conf(header);
  const auto& matrix = e.confusion["matrix"];
  for (size_t i = 0; i < matrix.size(); ++i) {
    std::vector<std::string> row = {model->classes()[i]};
    for (const auto& v : matrix[i]) row.push_back(std::to_string(v.get<long long>()));
    conf.add(row);
  }
  out += conf.text();
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace

void register_evaluate_command() {
  register_command({"evaluate", "RUN DIR|MANIFEST|IDX [--format table|json] [--threads N] [--max-pixels N]",
                    "score a trained run on new labelled images (stored under the run)",
                    {"format", "threads", "max-pixels"}, {}, 2, 2, cmd_evaluate});
}

}  // namespace pipe
