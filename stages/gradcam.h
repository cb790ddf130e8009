// Grad-CAM (Selvaraju et al., 2017): where a trained CNN looked.  For one
// image and a target class, the activations A of a convolution layer (by
// default the model's last) are weighted by the spatial mean of the gradient
// of the class logit with respect to them:
//   heat[h][w] = ReLU( sum_c mean_hw(dlogit/dA[c]) * A[c][h][w] )
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
