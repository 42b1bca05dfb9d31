# Seed inputs for the libFuzzer targets, written by bench/fuzz/run.sh and by CI. Each
# target starts from a few well-formed messages in its own input format, so the
# fuzzer spends its time near the paths that matter rather than finding "GET " first.
#   write_seeds TARGET DIR
write_seeds() {
  local target=$1 dir=$2
  mkdir -p "$dir"
  local requests=(
    'GET /api/me HTTP/1.1\r\nHost: lab\r\nCookie: sid=abc\r\n\r\n'
    'POST /api/cart/items HTTP/1.1\r\nHost: lab\r\nContent-Length: 24\r\n\r\n{"sku":"a-1","qty":2}   '
    'POST /api/uploads HTTP/1.1\r\nHost: lab\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n'
    'GET http://a:81/x HTTP/1.0\r\nExpect: 100-continue\r\n\r\n'
    'PUT /api/items/1 HTTP/1.1\r\nHost: lab\r\nContent-Length: 2\r\nRange: bytes=0-0\r\n\r\n{}GET / HTTP/1.1\r\nHost: x\r\n\r\n'
  )
  local responses=(
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'
    'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n'
    'HTTP/1.0 200 OK\r\n\r\nread to the close'
  )
  local i=0 m
  case "$target" in
    balancer_fuzz_request)
      for m in "${requests[@]}"; do printf '%b' "$m" > "$dir/seed-$i"; i=$((i + 1)); done ;;
    common_fuzz_request_gate)
      # four bytes seed the splits
      for m in "${requests[@]}"; do printf '\x07\x00\x00\x01%b' "$m" > "$dir/seed-$i"; i=$((i + 1)); done
      # past finds, kept as regressions: a target that is only a mixed-case scheme
      printf '\x07\x00\x00\x01GET hTtp:// HTTP/1.0\r\nEppect: 10081/x\t conyti\xdfue\r\n\r\n' > "$dir/seed-found-1" ;;
    balancer_fuzz_stream)
      # byte 0: 0 request, 1 response, 3 answer to HEAD; byte 1: split count; then sizes
      for m in "${requests[@]}"; do printf '\x00\x02\x00\x06%b' "$m" > "$dir/seed-$i"; i=$((i + 1)); done
      for m in "${responses[@]}"; do printf '\x01\x01\x02%b' "$m" > "$dir/seed-$i"; i=$((i + 1)); done
      # past finds, kept as regressions: the last chunk, then one byte at a time
      printf '\x01\x01\x00HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nhello\r\n0\r\ng: \r*' > "$dir/seed-found-1" ;;
  esac
}
