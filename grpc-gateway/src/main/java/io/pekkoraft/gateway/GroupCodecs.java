package io.pekkoraft.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Objects;

/** Ready-made {@link GroupCodec}s. Both refuse a payload they cannot read with an IllegalArgumentException. */
public final class GroupCodecs {

  private GroupCodecs() {}

  /** For a group whose commands, queries and results are {@code byte[]}: the payload as it is. */
  public static GroupCodec<byte[], byte[], byte[]> bytes() {
    return new GroupCodec<>() {
      @Override
      public byte[] decodeCommand(byte[] payload) {
        return Objects.requireNonNull(payload, "payload");
      }

      @Override
      public byte[] decodeQuery(byte[] payload) {
        return Objects.requireNonNull(payload, "payload");
      }

      @Override
      public byte[] encodeCommand(byte[] command) {
        return command;
      }

      @Override
      public byte[] encodeResult(byte[] result) {
        return result == null ? new byte[0] : result;
      }
    };
  }

  /** {@link #json(Class, Class, ObjectMapper)} with a plain ObjectMapper. */
  public static <C, Q, R> GroupCodec<C, Q, R> json(Class<C> commandType, Class<Q> queryType) {
    return json(commandType, queryType, new ObjectMapper());
  }

  /**
   * Commands and queries as UTF-8 JSON read into {@code commandType} and {@code queryType} with {@code mapper}
   * (unknown properties refused, whatever the mapper says; an empty payload or {@code null} refused too), results
   * written as JSON.
   */
  public static <C, Q, R> GroupCodec<C, Q, R> json(Class<C> commandType, Class<Q> queryType, ObjectMapper mapper) {
    Objects.requireNonNull(commandType, "commandType");
    Objects.requireNonNull(queryType, "queryType");
    ObjectMapper strict = mapper.copy().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    return new GroupCodec<>() {
      @Override
      public C decodeCommand(byte[] payload) {
        return read(payload, commandType, "command");
      }

      @Override
      public Q decodeQuery(byte[] payload) {
        return read(payload, queryType, "query");
      }

      private <T> T read(byte[] payload, Class<T> type, String what) {
        if (payload == null || payload.length == 0) {
          throw new IllegalArgumentException("the " + what + " payload is empty; expected JSON of "
              + type.getSimpleName());
        }
        T value;
        try {
          value = strict.readValue(payload, type);
        } catch (IOException | RuntimeException e) {
          String reason = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
          throw new IllegalArgumentException("the " + what + " payload is not JSON of " + type.getSimpleName() + ": "
              + reason, e);
        }
        if (value == null) throw new IllegalArgumentException("the " + what + " payload is JSON null");
        return value;
      }

      @Override
      public byte[] encodeCommand(C command) {
        return write(command);
      }

      @Override
      public byte[] encodeResult(R result) {
        return write(result);
      }

      private byte[] write(Object value) {
        try {
          return strict.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
          throw new IllegalStateException("cannot write " + value + " as JSON: " + e.getOriginalMessage(), e);
        }
      }
    };
  }
}
