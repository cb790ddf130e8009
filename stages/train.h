// The `train` stage: trains a network on a dataset artifact.
//
// YAML keys:
//   input: split.train          the training set (a dataset artifact; an `augment` stage with
//                               online: true is applied per sample per epoch, seeded)
//   val: split.val              optional validation set (never the test split), or
//   val_fraction: 0.1           a stratified hold-out of the training set
//   model: models/cnn.yaml      a model file (`layers:` list, path relative to the YAML file),
//                               or inline: model: { layers: [...] } / model: [...]
//   layers: [...]               inline layer list (instead of model:)
//   normalize: scale            scale (x/255) | standardize (mean/std per channel from the
//                               training data only, stored with the model) | none
//   epochs: 10   batch: 32   shuffle: true
//   optimizer: { adam: { lr: 0.001 } }       see stages/nn/net.h (sgd, adamw, rmsprop, schedules)
//   loss: { label_smoothing: 0, class_weights: auto | [w...] | {class: w} }
//   early_stopping, reduce_lr_on_plateau, checkpoint     see stages/callbacks.h; the kept
//                               weights are the best epoch's by checkpoint's monitor, else by
//                               early_stopping's when restore_best, else the last epoch's
//   init_from: RUN | FILE       start from another run's trained model (a run id, prefix or
//                               name) or a .safetensors checkpoint (relative to the YAML
//                               file, else the working folder): matching layers are
//                               copied, a head of another shape is left to train.  The
//                               cache key counts the file's content, or the key of the
//                               run's train artifact (found when the run is planned)
//   init_layers: [names]        copy only these layers (default: all that match)
//   freeze: [layer names]       keep these layers' weights fixed
//   seed: N                     default: the pipeline's seed
//
// Artifact: model.safetensors (weights + optimizer state), model.json (see
// stages/model_io.h: layers, input shape, classes, normalisation statistics,
// the preprocessing recipe of the training images), summary.txt.  Metrics:
// epochs (run), best_epoch (whose weights are kept), seconds (all epochs,
// validation included), params, images_per_second (training passes),
// train_loss, train_accuracy, val_loss, val_accuracy (of the kept epoch; null
// without validation).  One history row per epoch: epoch, train_loss,
// train_accuracy, val_loss, val_accuracy, lr, seconds, images_per_second.
// Progress: a bar per epoch on a terminal, one line per epoch otherwise.
//
// After every epoch a checkpoint goes into the stage's work folder; a killed
// attempt resumes from the last finished epoch ("resuming train from epoch k")
// and ends exactly where an uninterrupted run would (bit-exact with 1 thread).
#pragma once

#include "engine/stage.h"

namespace pipe {

StageKind train_stage_kind();

}  // namespace pipe
