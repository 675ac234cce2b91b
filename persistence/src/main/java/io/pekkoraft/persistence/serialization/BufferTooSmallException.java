package io.pekkoraft.persistence.serialization;

import java.nio.BufferOverflowException;

/**
 * A message does not fit in the buffer it was to be written into; nothing was written. A {@link
 * BufferOverflowException}, because that is how Pekko's Artery recognizes an oversized message: it then
 * drops the message, logs it with the frame size and publishes it as {@code Dropped}, instead of
 * failing the connection. Unlike its parent, it says which message and how many bytes.
 */
public final class BufferTooSmallException extends BufferOverflowException {

  private static final long serialVersionUID = 1L;

  private final String message;

  BufferTooSmallException(Object object, int bytesNeeded, int bytesRemaining) {
    this.message =
        "A " + object.getClass().getName() + " needs " + bytesNeeded + " bytes, but only " + bytesRemaining
            + " remain in the buffer (on the wire: raise pekko.remote.artery.advanced.maximum-frame-size, or"
            + " send smaller messages)";
  }

  @Override
  public String getMessage() {
    return message;
  }
}
