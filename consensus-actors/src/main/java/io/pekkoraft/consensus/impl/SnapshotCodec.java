package io.pekkoraft.consensus.impl;

import com.github.luben.zstd.Zstd;
import io.pekkoraft.persistence.serialization.KryoCodec;

/** A state machine snapshot as bytes: Kryo, then zstd. */
final class SnapshotCodec {

  /** zstd's default level: fast, and most of the ratio of the higher levels for typical state. */
  private static final int LEVEL = 3;

  private SnapshotCodec() {}

  static byte[] encode(Object snapshot, KryoCodec codec) {
    return Zstd.compress(codec.toBytes(snapshot), LEVEL);
  }

  static Object decode(byte[] data, KryoCodec codec) {
    long size = Zstd.getFrameContentSize(data);
    if (size < 0 || size > Integer.MAX_VALUE - 16) {
      throw new IllegalStateException("snapshot data of " + data.length + " bytes is not a zstd frame with a known size");
    }
    return codec.fromBytes(Zstd.decompress(data, (int) size));
  }
}
