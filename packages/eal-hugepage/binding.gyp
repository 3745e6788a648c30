{
  "targets": [
    {
      "target_name": "rtemem",
      "sources": ["src/native/addon.cc", "src/native/mapping.cc", "src/native/pagemap.cc", "src/native/sync.cc", "src/native/wasm_memory.cc", "src/native/packet.cc", "src/native/affinity.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      # No -std here: node-gyp's common.gypi, from the headers of the Node being
      # built for, sets the standard that Node's V8 headers need (gnu++17 for
      # Node 20 and 22; gnu++20 for Node 24, whose v8config.h rejects C++17).
      # The sources are valid C++17 and C++20 both.
      "cflags_cc": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "conditions": [
        ["OS!='linux'", { "type": "none", "sources": [] }]
      ]
    }
  ]
}
