// Fuzz target: the store's reading of a results folder's database
// (engine/store.cc): opening results/pipe.db with SQLite, the schema-version
// check and migration, then every read the commands make — runs, stage
// runs, results with their metrics and tables, epochs, evaluations, cached
// file hashes.  A malformed file may fail with any std::exception (what
// cli_main turns into `pipe: error:`), never crash, leak or hit UB.
#include <cstdint>
#include <filesystem>

#include "engine/error.h"
#include "engine/store.h"
#include "fuzz/scratch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pipe;
  const std::string results = pipe::fuzz::scratch_dir() + "/results";
  std::error_code ec;
  std::filesystem::remove_all(results, ec);  // with last input's -wal and -shm
  pipe::fuzz::scratch_file("results/pipe.db", data, size);
  try {
    Store store(results);
    store.mark_interrupted();
    for (const RunRecord& run : store.runs()) {
      store.stage_runs(run.id);
      store.evaluations(run.id);
      store.finished_stage(run.id, "train");
    }
    for (const std::string& key : store.result_keys()) {
      store.result(key);
      store.tables(key);
      store.epochs(key);
    }
    store.referenced_keys();
    store.preload_hashes();
    FileStat st;
    std::string hash;
    store.lookup("/nonexistent", st, &hash);
  } catch (const std::exception&) {
  }
  return 0;
}
