package io.pekkoraft.samples.counter;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.pekkoraft.gateway.GroupCodec;
import io.pekkoraft.gateway.GroupCodecs;
import io.pekkoraft.samples.counter.Counter.GetValue;
import io.pekkoraft.samples.counter.Counter.Increment;

/**
 * The counter over gRPC ({@code pekko-raft-grpc-gateway}): how the gateway reads a client's payload bytes into
 * the counter's command and query, and writes its result. All of it is UTF-8 JSON, so a client in any language
 * (and a shell, with base64 for protobuf's bytes) speaks it:
 *
 * <ul>
 *   <li>command: {@code {"delta":5}}, an {@link Increment}; {@code delta} is required, a whole number, and
 *       nothing else is accepted;
 *   <li>query: {@code {}} or {@code "GetValue"} (or an empty payload), the counter's only query, {@link GetValue};
 *   <li>result: the counter's value as a JSON number, e.g. {@code 17}.
 * </ul>
 *
 * Anything else is refused with an IllegalArgumentException, which the gateway answers INVALID_ARGUMENT.
 */
public final class CounterCodec implements GroupCodec<Increment, GetValue, Long> {

  /** Commands by Jackson (records are read through their constructor), strictly: no missing, float or null delta. */
  private static final GroupCodec<Increment, JsonNode, Long> JSON = GroupCodecs.json(Increment.class, JsonNode.class,
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .build());

  public CounterCodec() {}

  @Override
  public Increment decodeCommand(byte[] payload) {
    return JSON.decodeCommand(payload);
  }

  @Override
  public GetValue decodeQuery(byte[] payload) {
    if (payload.length == 0) return GetValue.INSTANCE;
    JsonNode query = JSON.decodeQuery(payload);
    boolean getValue = (query.isObject() && query.isEmpty()) || (query.isTextual() && query.asText().equals("GetValue"));
    if (!getValue) {
      throw new IllegalArgumentException("the counter has one query, {} or \"GetValue\", not " + query);
    }
    return GetValue.INSTANCE;
  }

  @Override
  public byte[] encodeCommand(Increment command) {
    return JSON.encodeCommand(command);
  }

  @Override
  public byte[] encodeResult(Long value) {
    return JSON.encodeResult(value);
  }
}
