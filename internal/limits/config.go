package limits

// ConfigBytes bounds a .hallmark.yaml configuration file.
const ConfigBytes = 1 << 20
