/**
 * Test support: a self-signed certificate for mail.hamburger.edu and imap.hamburger.edu (also its
 * own CA), valid 2020 to 2120, with its private key. Made for these tests only; it protects nothing.
 */
export const FAKE_TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQglaJgsiMF7/7FRp1k
wPqPoGRkLWvQ+kpbsFbxygtMCx2hRANCAARWpc9SUtJd/Wtgiz1YcySrt7HtmU6Z
1nV/7r9LNg/Kt6235u+LsgYfnrl7qQ4rMQbhkEp70PEkF7Ag5/3VXyuE
-----END PRIVATE KEY-----
`;

export const FAKE_TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBjzCCATagAwIBAgIBATAKBggqhkjOPQQDAjAdMRswGQYDVQQDDBJtYWlsLmhh
bWJ1cmdlci5lZHUwIBcNMjAwMTAxMDAwMDAwWhgPMjEyMDAxMDEwMDAwMDBaMB0x
GzAZBgNVBAMMEm1haWwuaGFtYnVyZ2VyLmVkdTBZMBMGByqGSM49AgEGCCqGSM49
AwEHA0IABFalz1JS0l39a2CLPVhzJKu3se2ZTpnWdX/uv0s2D8q3rbfm74uyBh+e
uXupDisxBuGQSnvQ8SQXsCDn/dVfK4SjZTBjMA8GA1UdEwEB/wQFMAMBAf8wMQYD
VR0RBCowKIISbWFpbC5oYW1idXJnZXIuZWR1ghJpbWFwLmhhbWJ1cmdlci5lZHUw
HQYDVR0OBBYEFJKo67PauOs65yGJxxXeZvdiA3AoMAoGCCqGSM49BAMCA0cAMEQC
IF57B8WQD5i5hchyboqJoJ4KUQUXkdJEQGPG9WR9MM6tAiAQMSxoangPfG3pcwx9
5HW32IGG7YOEmeVmqrrkAfZ1+g==
-----END CERTIFICATE-----
`;
