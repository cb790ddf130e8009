// The stage kinds and extra commands of the real pipe binary.  Adding a
// stage kind is one file in stages/ plus one line here.
#include "engine/stage.h"
#include "stages/register.h"

namespace pipe {

void register_builtin_stages() {
  register_threads();
  register_data_stages();
  register_report_stages();
  register_train_stages();
}

}  // namespace pipe
