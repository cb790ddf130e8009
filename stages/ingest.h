// The `ingest` stage kind (stages/ingest.cc).
#pragma once

#include "engine/stage.h"

namespace pipe {

StageKind ingest_stage_kind();

}  // namespace pipe
