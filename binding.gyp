{
  "targets": [
    {
      "target_name": "cairn_bpf",
      "sources": [
        "native/addon.cc",
        "native/args.cc",
        "native/btf_layout.cc",
        "native/errors.cc",
        "native/map_handle.cc",
        "native/map_ops.cc",
        "native/object_handle.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Werror", "-Wno-missing-field-initializers"],
      "cflags": ["-Wall", "-Wextra", "-Werror"],
      "libraries": ["-lbpf", "-lelf", "-lz"]
    }
  ]
}
