// The hub's configuration file (see examples/hub.yaml for a commented example).
//
//   hub: {id: hub-1}
//   store:                              # docs/hub-storage.md
//     engine: sqlite                    # sqlite (default) or postgres
//     path: data/hub.db                 # sqlite: relative to this file
//     url: postgresql://strata@127.0.0.1:5432/strata   # postgres (or url_env: VAR)
//   uplink:                             # where the edges' batches arrive (docs/uplink.md)
//     broker: {host: 127.0.0.1, port: 1883}
//     username: hub                     # password_env / tls as for MQTT connectors
//     shared_group: strata-hubs         # MQTT 5 shared subscription; "" = one hub only
//     max_batch: 16MiB                  # larger batches are refused
//     require_enrolment: true           # refuse batches of edges not enrolled
//     provisioning: none                # dynsec: enrolling edges get their own broker login
//   api:                                # docs/api.md
//     listen: 127.0.0.1:8080
//     tls: {cert_file: hub.pem, key_file: hub.key}
//     threads: 8
//     console: web                      # the console's files ("" = none); default: the web/
//                                       # of the source tree this binary was built from
#pragma once

#include <string>

#include "api/api_server.h"
#include "core/status.h"
#include "hub/hub_ingest.h"
#include "hub/store/hub_store.h"

namespace strata {

struct HubConfig {
  std::string file;
  std::string hub_id = "hub-1";
  HubStoreOptions store;
  HubIngestOptions ingest;
  api::ApiServerOptions api;
  // How an enrolling edge gets its broker login (docs/uplink.md#enrolment): kNone = it cannot
  // enrol through the API (edges are added with `strata hub edge add`, logins made by hand).
  enum class Provisioning { kNone, kDynsec };
  Provisioning provisioning = Provisioning::kNone;

  // Reads and validates the file; errors name file, line and key.
  static StatusOr<HubConfig> Load(const std::string& path);
  // The same from text; `name` stands for the file in messages, `dir` resolves relative paths.
  static StatusOr<HubConfig> Parse(const std::string& text, const std::string& name,
                                   const std::string& dir);
};

}  // namespace strata
