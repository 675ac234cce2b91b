package io.pekkoraft.persistence.journal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * The settings of one journal, read from its plugin configuration (see {@code pekko-raft.journal} in
 * reference.conf, where every key is documented).
 *
 * @param configPath where the settings came from, for error messages (e.g. {@code pekko-raft.journal})
 */
public record JournalSettings(
    String configPath,
    Path dir,
    boolean createDir,
    long segmentSize,
    boolean fsync,
    int batchBytesMax,
    int pendingWritesMax) {

  public JournalSettings {
    if (segmentSize < SegmentFormat.SEGMENT_SIZE_MIN || segmentSize > SegmentFormat.SEGMENT_SIZE_MAX) {
      throw new JournalStartException(key(configPath, "segment-size") + " = " + segmentSize + " is outside "
          + SegmentFormat.SEGMENT_SIZE_MIN + " to " + SegmentFormat.SEGMENT_SIZE_MAX + " bytes");
    }
    if (batchBytesMax < 1) {
      throw new JournalStartException(key(configPath, "batch-bytes-max") + " = " + batchBytesMax + " must be positive");
    }
    if (pendingWritesMax < 1) {
      throw new JournalStartException(key(configPath, "pending-writes-max") + " = " + pendingWritesMax + " must be positive");
    }
  }

  /** Settings with the defaults of reference.conf, for a directory (tests and tools). */
  public static JournalSettings defaults(Path dir) {
    return new JournalSettings("pekko-raft.journal", dir, true, 64L << 20, true, 4 << 20, 100_000);
  }

  public JournalSettings withSegmentSize(long bytes) {
    return new JournalSettings(configPath, dir, createDir, bytes, fsync, batchBytesMax, pendingWritesMax);
  }

  public JournalSettings withCreateDir(boolean create) {
    return new JournalSettings(configPath, dir, create, segmentSize, fsync, batchBytesMax, pendingWritesMax);
  }

  public JournalSettings withFsync(boolean on) {
    return new JournalSettings(configPath, dir, createDir, segmentSize, on, batchBytesMax, pendingWritesMax);
  }

  /** Reads the plugin configuration found at {@code configPath}. */
  public static JournalSettings fromConfig(Config config, String configPath) {
    try {
      String dirText = config.getString("dir");
      if (dirText.isBlank()) throw new JournalStartException(key(configPath, "dir") + " is empty");
      Path dir;
      try {
        dir = Path.of(dirText).toAbsolutePath().normalize();
      } catch (InvalidPathException e) {
        throw new JournalStartException(key(configPath, "dir") + " = \"" + dirText + "\" is not a valid path: " + e.getMessage());
      }
      long batchBytes = config.getBytes("batch-bytes-max");
      return new JournalSettings(
          configPath,
          dir,
          config.getBoolean("create-dir"),
          config.getBytes("segment-size"),
          config.getBoolean("fsync"),
          (int) Math.min(Integer.MAX_VALUE, batchBytes),
          config.getInt("pending-writes-max"));
    } catch (ConfigException e) {
      throw new JournalStartException("invalid journal configuration at " + configPath + ": " + e.getMessage(), e);
    }
  }

  String key(String name) {
    return key(configPath, name);
  }

  private static String key(String configPath, String name) {
    return configPath + "." + name;
  }
}
