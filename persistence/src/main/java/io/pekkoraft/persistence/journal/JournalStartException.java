package io.pekkoraft.persistence.journal;

/**
 * The journal cannot start: a configuration value is wrong, the directory is missing or not
 * writable, or another journal holds it. The message names the configuration key and the path.
 */
public final class JournalStartException extends RuntimeException {

  JournalStartException(String message) {
    super(message);
  }

  JournalStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
