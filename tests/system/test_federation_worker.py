#  test_federation_worker.py ENDPOINT KEYDIR COUNTFILE [WHO]: a plain MDP
#  worker for "matching" with the key directory's `matching` service key,
#  that answers every Kejin request UNIMPLEMENTED "served by WHO" (default
#  Anshan's own worker) and writes how many it served to COUNTFILE
#  (test_federation.sh: F6, a local worker; F8, a second peer city).
import sys, time, zmq, zmq.auth

endpoint, keys, served = sys.argv[1], sys.argv[2], sys.argv[3]
who = sys.argv[4] if len(sys.argv) > 4 else "Anshan's own worker"
pub, sec = zmq.auth.load_certificate(keys + "/secret/matching.key_secret")
server, _ = zmq.auth.load_certificate(keys + "/public/broker.key")
sock = zmq.Context().socket(zmq.DEALER)
sock.curve_publickey, sock.curve_secretkey = pub, sec
sock.curve_serverkey = server
sock.connect(endpoint)
sock.send_multipart([b"", b"MDPW01", b"\x01", b"matching"])


def varint(value):
    out = b""
    while True:
        out += bytes([(value & 0x7F) | (0x80 if value > 0x7F else 0)])
        value >>= 7
        if not value:
            return out


def request_id(header):
    #  field 1 (varint) of kj.RequestHeader, after the magic
    data = header[3:]
    if data[:1] != b"\x08":
        return 0
    value = shift = 0
    for byte in data[1:]:
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            break
    return value


count, beat = 0, time.time()
while True:
    if sock.poll(500):
        frames = sock.recv_multipart()
        if frames[2] == b"\x02":
            text = ("served by " + who).encode()
            status = b"\x08\x0c\x12" + bytes([len(text)]) + text
            head = (b"KJ\x01\x08" + varint(request_id(frames[5])) + b"\x12"
                    + bytes([len(status)]) + status)
            sock.send_multipart([b"", b"MDPW01", b"\x03", frames[3], b"",
                                 head])
            count += 1
            with open(served, "w") as out:
                out.write(str(count))
    if time.time() - beat > 1:
        sock.send_multipart([b"", b"MDPW01", b"\x04"])
        beat = time.time()
