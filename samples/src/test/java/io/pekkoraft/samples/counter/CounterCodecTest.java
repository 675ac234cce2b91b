package io.pekkoraft.samples.counter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.samples.counter.Counter.GetValue;
import io.pekkoraft.samples.counter.Counter.Increment;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The counter's JSON over gRPC: what the examples in grpc-gateway/examples send, and what is refused. */
class CounterCodecTest {

  private final CounterCodec codec = new CounterCodec();

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void anIncrementIsADeltaInJsonAndTheResultIsTheNumber() {
    assertEquals(new Increment(5), codec.decodeCommand(utf8("{\"delta\":5}")));
    assertEquals(new Increment(-3), codec.decodeCommand(utf8(" { \"delta\" : -3 } ")));
    assertEquals("{\"delta\":5}", new String(codec.encodeCommand(new Increment(5)), StandardCharsets.UTF_8));
    assertEquals("17", new String(codec.encodeResult(17L), StandardCharsets.UTF_8));
  }

  @Test
  void theOneQueryIsAnEmptyObjectItsNameOrNothing() {
    assertEquals(GetValue.INSTANCE, codec.decodeQuery(utf8("{}")));
    assertEquals(GetValue.INSTANCE, codec.decodeQuery(utf8("\"GetValue\"")));
    assertEquals(GetValue.INSTANCE, codec.decodeQuery(new byte[0]));
  }

  @Test
  void anythingElseIsRefusedNamingWhatWasExpected() {
    for (String bad : new String[] {"{}", "{\"delta\":null}", "{\"delta\":1.5}", "{\"delta\":1,\"by\":2}",
        "{\"delta\":1} x", "null", "5", "{\"delta\":"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> codec.decodeCommand(utf8(bad)),
          "command " + bad);
      assertTrue(e.getMessage().contains("Increment") || e.getMessage().contains("null"), bad + ": " + e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> codec.decodeCommand(new byte[0]));
    for (String bad : new String[] {"{\"delta\":1}", "\"SetValue\"", "[]", "null", "{"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> codec.decodeQuery(utf8(bad)),
          "query " + bad);
      assertTrue(e.getMessage().contains("query"), bad + ": " + e.getMessage());
    }
  }
}
