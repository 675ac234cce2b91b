package io.pekkoraft.persistence.serialization;

import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;

/**
 * Refuses a length read from the wire that the remaining bytes cannot hold. Without it a corrupt length
 * makes the reader allocate first and fail later: a few flipped bits turn into a 2 GB array and an
 * OutOfMemoryError instead of a clear error about corrupt bytes. Public for the hand-written serializers
 * of other modules.
 */
public final class SizeGuard {

  private SizeGuard() {}

  /**
   * Returns {@code size} if {@code size} elements of at least {@code bytesPerElementMin} bytes each fit
   * in what is left of {@code input}; otherwise throws. Only inputs without a stream behind them (byte
   * arrays, byte buffers) are checked, because only they know their end.
   */
  public static int checkedSize(Input input, int size, int bytesPerElementMin, String what) {
    if (size < 0) {
      throw new KryoException("negative " + what + " size " + size + ": the bytes are corrupt");
    }
    if (input.getInputStream() == null) {
      long remaining = input.limit() - input.position();
      if ((long) size * bytesPerElementMin > remaining) {
        throw new KryoException(
            what + " claims " + size + " elements but only " + remaining + " bytes remain: the bytes are"
                + " corrupt or truncated");
      }
    }
    return size;
  }
}
