// split — train / val / test datasets (outputs split.train, split.val,
// split.test; an empty split is still written).
//
//   - id: split
//     kind: split
//     input: clean
//     fractions: { train: 0.7, val: 0.1, test: 0.2 }  # an omitted split is 0; a sum below 1 leaves the rest out
//     stratify: true          # the same class proportions in every split
//     group_by: none          # group: whole groups (e.g. writers, from group_from_filename) stay in one split
//     folds: 0                # k > 0: k-fold; val = fold `fold`, train = the other folds,
//     fold: 0                 #   test = fractions.test, held out before the folds
//     by_folder: false        # keep the split each sample brought (a source's split: or a manifest column)
//     seed: 800               # default: the pipeline's seed
//
// Records the per-class count of every split (table `counts`) and, with
// group_by, the number of groups per split.  The options are checked when the
// pipeline is read; an error points at the key it blames.
#include "stages/split.h"

#include <set>

#include "engine/paths.h"
#include "stages/image/dataset.h"
#include "stages/image/recipe.h"
#include "stages/image/split.h"

namespace pipe {

namespace {

using json = nlohmann::json;

void check_split(const Param& p) {
  const Param fractions = p["fractions"];
  double total = 0;
  bool any_fraction = false;
  for (const char* name : {"train", "val", "test"}) {
    const Param f = fractions[name];
    if (f->is_null()) continue;
    total += f->get<double>();  // each from 0 to 1 (the schema's range)
    any_fraction = true;
  }
  long long folds = p["folds"]->get<long long>(), fold = p["fold"]->get<long long>();
  bool by_folder = p["by_folder"]->get<bool>();
  if (!by_folder && folds == 0 && !any_fraction)
    throw p.error("give fractions, folds or by_folder").hint("e.g. fractions: { train: 0.7, val: 0.1, test: 0.2 }");
  if (by_folder && (folds != 0 || any_fraction))
    throw p["by_folder"].error("keeps the existing split; fractions and folds do not apply");
  if (folds != 0) {
    if (folds < 2) throw p["folds"].error("must be at least 2 (0: no folds)");
    if (fold < 0 || fold >= folds) throw p["fold"].error("must be between 0 and " + std::to_string(folds - 1));
    for (const char* name : {"train", "val"})
      if (!fractions[name]->is_null() && (*fractions[name]).get<double>() > 0)
        throw fractions[name].error("with folds, val is fold `fold` and train the other folds")
            .hint("give only fractions.test (held out before the folds), or no fractions");
  } else if (!by_folder) {
    if (total > 1 + 1e-9)
      throw fractions.error("add up to " + std::to_string(total) + ", more than 1")
          .hint("e.g. {train: 0.7, val: 0.1, test: 0.2}; a sum below 1 leaves the rest out");
    if (total <= 0) throw fractions.error("are all 0").hint("e.g. {train: 0.7, val: 0.1, test: 0.2}");
  }
}

class Split : public Stage {
 public:
  void run(StageContext& ctx) override {
    const json& p = ctx.params();
    image::SplitOptions o;
    const json& fractions = p["fractions"];
    if (!fractions.is_null())
      for (const char* name : {"train", "val", "test"})
        if (!fractions[name].is_null()) o.fractions[name] = fractions[name].get<double>();
    o.stratify = p["stratify"].get<bool>();
    o.by_group = p["group_by"].get<std::string>() == "group";
    o.folds = p["folds"].get<int>();
    o.fold = p["fold"].get<int>();
    o.by_folder = p["by_folder"].get<bool>();
    o.seed = static_cast<uint64_t>(ctx.seed());
    check_split(Param(p, [&ctx](const std::string& pointer) { return ctx.mark(pointer); }));

    InputRef in = ctx.input("input");
    auto data = image::DatasetView::open(join_path(in.dir, image::dataset_file_name(in.output)));
    size_t n = data.size();
    std::vector<int32_t> labels(n);
    std::vector<std::string> groups(n), existing(n);
    for (size_t i = 0; i < n; ++i) {
      labels[i] = data.label(i);
      groups[i] = data.group(i);
      existing[i] = data.split(i);
    }
    std::vector<int> assigned;
    try {
      assigned = image::assign_splits(labels, groups, existing, o);
    } catch (Error& e) {
      if (e.where().empty()) e.at(ctx.mark(o.folds > 0 ? "/folds" : o.by_folder ? "/by_folder" : "/fractions"));
      throw;
    }

    const auto& names = image::split_names();
    std::vector<std::vector<size_t>> members(names.size());
    size_t left_out = 0;
    for (size_t i = 0; i < n; ++i) {
      if (assigned[i] < 0) ++left_out;
      else members[assigned[i]].push_back(i);
    }
    for (size_t s = 0; s < names.size(); ++s)
      image::write_subset(ctx.output_path(image::dataset_file_name(names[s])), data, members[s]);
    image::Recipe recipe;
    if (image::Recipe::load(in.dir, &recipe)) recipe.save(ctx.output_path("."));

    const auto& classes = data.classes();
    std::vector<std::vector<long>> counts(classes.size(), std::vector<long>(names.size(), 0));
    for (size_t s = 0; s < names.size(); ++s)
      for (size_t i : members[s]) ++counts[data.label(i)][s];
    json table = json::array();
    for (size_t c = 0; c < classes.size(); ++c) {
      json row = {{"class", classes[c]}};
      for (size_t s = 0; s < names.size(); ++s) row[names[s]] = counts[c][s];
      table.push_back(row);
    }
    ctx.table("counts", table);
    std::string line;
    for (size_t s = 0; s < names.size(); ++s) {
      ctx.metric(names[s], static_cast<double>(members[s].size()));
      line += (s ? ", " : "") + names[s] + " " + std::to_string(members[s].size());
    }
    ctx.metric("left_out", static_cast<double>(left_out));
    if (o.by_group) {
      // Groups seen in more than one split (0 unless something is wrong).
      std::vector<std::set<std::string>> seen(names.size());
      for (size_t s = 0; s < names.size(); ++s)
        for (size_t i : members[s])
          if (!groups[i].empty()) seen[s].insert(groups[i]);
      std::set<std::string> all, shared;
      for (const auto& g : seen)
        for (const auto& x : g)
          if (!all.insert(x).second) shared.insert(x);
      json per = json::object();
      for (size_t s = 0; s < names.size(); ++s) per[names[s]] = seen[s].size();
      ctx.table("groups", per);
      ctx.metric("groups_in_two_splits", static_cast<double>(shared.size()));
      line += "; groups " + std::to_string(seen[0].size()) + "/" + std::to_string(seen[1].size()) + "/" +
              std::to_string(seen[2].size());
    }
    if (left_out) line += "; " + std::to_string(left_out) + " left out";
    ctx.log(line);
  }
};

}  // namespace

StageKind split_stage_kind() {
  Schema fractions{{
      between(number("train", nullptr, "fraction for training"), 0, 1),
      between(number("val", nullptr, "fraction for validation (early stopping, model choice)"), 0, 1),
      between(number("test", nullptr, "fraction held out for the final evaluation"), 0, 1),
  }};
  Schema schema{{
      required(input("input", "the dataset to split, e.g. clean")),
      mapping("fractions", fractions, "{train, val, test}; omitted ones are 0"),
      boolean("stratify", true, "keep class proportions in every split"),
      one_of("group_by", {"none", "group"}, "none", "group: no group (writer, source) in two splits"),
      at_least(integer("folds", 0, "k-fold cross-validation: number of folds (0: off)"), 0),
      at_least(integer("fold", 0, "k-fold: which fold is val (0-based)"), 0),
      boolean("by_folder", false, "keep the split each sample brought from its source"),
      integer("seed", nullptr, "seed of the shuffle (default: the pipeline's seed)"),
  }};
  schema.check = check_split;
  return {"split", 1, "stratified, seeded train/val/test split (k-fold, group-aware, or as given)", schema,
          {"train", "val", "test"}, true, [] { return std::make_unique<Split>(); }};
}

}  // namespace pipe
