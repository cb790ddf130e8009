// Grad-CAM: where a trained CNN looked.  For one image and a target class,
// the activations A of a convolution layer (by default the model's last)
// times the gradient of the class score y with respect to them, summed over
// channels, ReLU:
//   heat[h][w] = ReLU( sum_c dy/dA[c][h][w] * A[c][h][w] )
// This is the element-wise form of Grad-CAM (Selvaraju et al., 2017), known
// as HiResCAM (Draelos & Carin, 2020): the original averages the gradient
// over positions first, which misplaces the heat when a dense layer follows
// the convolutions (pipe's models flatten), because the dense weights differ
// by position.  With a global-average-pooling head both agree.
// The score y is the class logit minus the other logits weighted by their
// probability: with a softmax only differences of logits matter, and a net
// may put the evidence for a class into the others' logits.
// The map has the layer's spatial size; report/gradcam_figure.h draws it
// upsampled over the image.
#pragma once

#include <string>
#include <vector>

namespace pipe {

class TrainedModel;

struct GradCam {
  std::vector<float> heat;  // height x width, row-major, >= 0
  int height = 0, width = 0;
  std::string layer;
};

// `hwc`: one image already in the model's input shape (uint8).  Throws when
// the model has no convolution layer or `layer` is not one.
GradCam grad_cam(TrainedModel& model, const uint8_t* hwc, int target_class, const std::string& layer = "");

}  // namespace pipe
