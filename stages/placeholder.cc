namespace pipe {}
