// Registration of the train and evaluate stage kinds and the evaluate and
// predict commands (kept apart so the stages link without the CLI).
#include "stages/commands.h"
#include "stages/evaluate.h"
#include "stages/register.h"
#include "stages/train.h"

namespace pipe {

void register_train_stages() {
  Registry::global().add(train_stage_kind());
  Registry::global().add(evaluate_stage_kind());
  register_evaluate_command();
  register_predict_command();
}

}  // namespace pipe
