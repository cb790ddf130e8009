// pipe predict RUN IMAGE|DIR|MANIFEST [--top-k K] [--format csv|json]
// [--max-pixels N] — the most probable classes of new images under a trained
// run, through the run's own preprocessing.  Unusable images (unreadable,
// damaged, larger than N pixels, default 100 megapixels) are listed on
// stderr, one `pipe: warning: PATH: reason` line each; the rest are still
// predicted.
//
// JSON: [{"path","top":[{"class","p"}]}]; CSV: path,rank,class,p.
#include <cstdio>

#include "engine/cli.h"
#include "engine/error.h"
#include "engine/store.h"
#include "engine/table.h"
#include "stages/commands.h"
#include "stages/evaluate.h"
#include "stages/model_io.h"
#include "stages/preprocess.h"

namespace pipe {

using json = nlohmann::json;

namespace {

int cmd_predict(const Args& args) {
  std::string format = args.choice("format", {"csv", "json"});
  int threads = command_threads(args.get_int("threads", 0));
  int k = args.at_least("top-k", 5, 1, "the classes listed per image");
  auto [store, run, model] = open_trained_run(args, threads);
  NewImages images = read_new_images(args.positional()[1], *model, false, threads, max_pixels_option(args));

  std::vector<float> probs;
  DatasetSource source(images.data);
  model->predict(source, &probs);
  const auto& classes = model->classes();
  k = std::min<int>(k, static_cast<int>(classes.size()));
  json out = json::array();
  Table csv({"path", "rank", "class", "p"});
  for (size_t i = 0; i < images.data.samples.size(); ++i) {
    json top = top_classes(&probs[i * classes.size()], classes, k);
    const std::string& path = images.data.samples[i].path;
    for (size_t r = 0; r < top.size(); ++r)
      csv.add({path, std::to_string(r + 1), top[r]["class"].get<std::string>(), fixed(top[r]["p"].get<double>(), 6)});
    out.push_back({{"path", path}, {"top", std::move(top)}});
  }
  if (format == "json") std::printf("%s\n", out.dump(2).c_str());
  else std::fputs(csv.csv().c_str(), stdout);
  return 0;
}

}  // namespace

void register_predict_command() {
  register_command({"predict", "RUN IMAGE|DIR|MANIFEST [--top-k K] [--format csv|json] [--threads N] [--max-pixels N]",
                    "the most probable classes of new images under a trained run",
                    {"top-k", "format", "threads", "max-pixels"}, {}, 2, 2, cmd_predict});
}

}  // namespace pipe
