{
  "targets": [
    {
      "target_name": "rtemem",
      "sources": ["src/native/addon.cc", "src/native/mapping.cc", "src/native/pagemap.cc", "src/native/sync.cc", "src/native/wasm_memory.cc", "src/native/packet.cc", "src/native/affinity.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "conditions": [
        ["OS!='linux'", { "type": "none", "sources": [] }]
      ]
    }
  ]
}
