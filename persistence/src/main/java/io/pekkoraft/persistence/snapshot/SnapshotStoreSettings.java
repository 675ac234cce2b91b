package io.pekkoraft.persistence.snapshot;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.file.Path;
import java.nio.file.Paths;

/** The settings of one {@link FileSnapshotStore} plugin, read and checked once; errors name the key. */
record SnapshotStoreSettings(String configPath, Path dir, boolean createDir, boolean fsync) {

  static SnapshotStoreSettings from(Config config, String configPath) {
    String dir = config.getString("dir");
    if (dir.isBlank()) throw new ConfigException.BadValue(configPath + ".dir", "must name a directory");
    return new SnapshotStoreSettings(configPath, Paths.get(dir).toAbsolutePath(), config.getBoolean("create-dir"),
        config.getBoolean("fsync"));
  }

  String key(String name) {
    return configPath + "." + name;
  }
}
