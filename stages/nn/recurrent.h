// simple_rnn, lstm, gru: recurrent layers over sequences (oneDNN vanilla_rnn,
// lstm, lbr_gru; one layer, left to right, zero initial state).
//
// Input: a sequence T×F, or an image C×H×W read as H steps of C*W features (row
// h of every channel, channel by channel) — the multiscript RNN reads 28 rows of 28
// pixels.
// YAML (`simple_rnn` / `rnn`, `lstm`, `gru`; `lstm: 64` sets units):
//   units: 64                    hidden size (required)
//   return_sequences: false      true: output T×units (every step), false: units (last step)
//   activation: tanh             simple_rnn only: tanh | relu | sigmoid
//   kernel_initializer: glorot_uniform   recurrent_initializer: orthogonal
//   bias_initializer: zeros      (lstm adds 1 to bias_ih of the forget gate, like Keras)
// Parameters, PyTorch's layout and gate order (G = 1, 4, 3):
//   weight_ih [G*units, F], weight_hh [G*units, units], bias_ih [G*units], bias_hh [G*units]
//   lstm gates i, f, g, o; gru gates r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
// oneDNN has one bias per gate (two for GRU's n gate): the forward adds b_ih + b_hh,
// and both receive the bias gradient.
#pragma once

#include "stages/nn/layer.h"

namespace pipe::nn {

LayerSpec simple_rnn_layer();
LayerSpec lstm_layer();
LayerSpec gru_layer();

}  // namespace pipe::nn
