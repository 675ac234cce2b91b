package io.pekkoraft.persistence.serialization;

/**
 * A message could not be turned into bytes (its class, or a class inside it, is not registered), or
 * bytes could not be turned back into a message (they are corrupt, truncated, or were written with a
 * different registrar list). Never retried: the same input fails the same way.
 */
public final class RaftSerializationException extends RuntimeException {

  public RaftSerializationException(String message, Throwable cause) {
    super(message, cause);
  }
}
