package io.pekkoraft.persistence.snapshot;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.function.Function;

/** The settings of one {@link FileSnapshotStore} plugin, read and checked once; errors name the key. */
record SnapshotStoreSettings(String configPath, Path dir, boolean createDir, boolean fsync) {

  static SnapshotStoreSettings from(Config config, String configPath) {
    String dir = read(config, configPath, "dir", config::getString);
    if (dir.isBlank()) throw new ConfigException.BadValue(configPath + ".dir", "must name a directory");
    return new SnapshotStoreSettings(configPath, Paths.get(dir).toAbsolutePath(),
        read(config, configPath, "create-dir", config::getBoolean), read(config, configPath, "fsync", config::getBoolean));
  }

  /** Reads one key; a missing key or a value of the wrong type is reported with the plugin's full key. */
  private static <T> T read(Config config, String configPath, String key, Function<String, T> getter) {
    try {
      return getter.apply(key);
    } catch (ConfigException.Missing | ConfigException.WrongType e) {
      throw new ConfigException.BadValue(configPath + "." + key, e.getMessage(), e);
    }
  }

  String key(String name) {
    return configPath + "." + name;
  }
}
