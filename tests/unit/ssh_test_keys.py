# Copyright (c) 2026 startsecure engineers; GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Public test keys made with ssh-keygen for these tests (public halves only)."""

from __future__ import annotations

ED25519 = (
    "ssh-ed25519 "
    "AAAAC3NzaC1lZDI1NTE5AAAAIHg2AC+SXb5z4r57gGtpFnEx5u2BQuXndtTiLX/PoMhk"
    " ed@test"
)

RSA2048 = (
    "ssh-rsa "
    "AAAAB3NzaC1yc2EAAAADAQABAAABAQC2afhSH/EkoNOdAuymR79NkLY4J3EF0Kcp2qDg4byx4RZ9SS/Y"
    "orblNV1GmK6kB+Tv4fIg7ABt6gNfwTrAhxiSLRGMG4D5SiU+tgmAXsWqi8qNcbIg6g3SxRXrXfxzTCyQ"
    "XP/tD7CvPnBfIED6FXjGJnyif/sqbRM4Y/Nt0Z+TQn0DTBUXepYgccHsC8HpLPOCgJgKPQzqtq67B43a"
    "sE4zXBvchQpvwum9KblewAsWpYFF3tufZyomw1G+bx+adbDXbItlnLBdQX/sxs6Ewedwp/VdXyBgGro6"
    "iX5WrxODt3QMutsG/sKUG8cJVZY4ZYxAzjIchcRyuw/0HieoHkul"
    " rsa2048@test"
)

RSA3072 = (
    "ssh-rsa "
    "AAAAB3NzaC1yc2EAAAADAQABAAABgQC3pylR8dZgtWxXZa7PBLlRsAjhKZ2tvb91+5Dk3s/dxywRCQen"
    "iXO06Ko8r69W+BoFEJ+12iQln/dnlbyjW2eJnoNGWamQky9x0DO/jdZLNyqiQyuNNGZnNJHvA5Au+auc"
    "d/xIhVfc6eaTcqUsHAY7WDpuF+o13EUH4itGTbNaMJC6njjayOSUzv+siVkiQLe5JjdiWQ6o3UvOrVJa"
    "2rk0Uy3Qwe1YdsBTD4DOMecC7obJ8kjwilagxnaU0oAFDJlH08hI2pVUnKxPYbkbLSl3G3xGQ7hHnMT0"
    "afNp1c06N06Y/1wkMAPSxf4vYjDSPQlOd3h5PCLtpnzTnh/AVdLBJ7HA0SHVN0eq8WpN7XHWEl9KRiD6"
    "7b2pttGZnCtBnX5/e41+YwmkykXN27nC8OdR3rG38KO1h0rbjuM5V2ZFzhsapTxuijtB0OGvIOmdZvtO"
    "pT+IbYQQ7tZK192wRnr4FEQhaPucdBqHFWXxa6pebHDSI0LBy00km/P40rcjwHE="
    " rsa3072@test"
)

ECDSA256 = (
    "ecdsa-sha2-nistp256 "
    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBLk4X7bnmgVzHUtzA5XokNRTeyHb"
    "bxrQNJpr9+X2zQUnenTjmNXo5tjiBQrJZd1qfomdMHhD3vZ7xA/huAgt4LE="
    " ec@test"
)

RSA3072_CERT = (
    "ssh-rsa-cert-v01@openssh.com "
    "AAAAHHNzaC1yc2EtY2VydC12MDFAb3BlbnNzaC5jb20AAAAg4sTIRBa4OFMf5vAo6znaWXqX6fNhRaiN"
    "N/R2JXdYg38AAAADAQABAAABgQC3pylR8dZgtWxXZa7PBLlRsAjhKZ2tvb91+5Dk3s/dxywRCQeniXO0"
    "6Ko8r69W+BoFEJ+12iQln/dnlbyjW2eJnoNGWamQky9x0DO/jdZLNyqiQyuNNGZnNJHvA5Au+aucd/xI"
    "hVfc6eaTcqUsHAY7WDpuF+o13EUH4itGTbNaMJC6njjayOSUzv+siVkiQLe5JjdiWQ6o3UvOrVJa2rk0"
    "Uy3Qwe1YdsBTD4DOMecC7obJ8kjwilagxnaU0oAFDJlH08hI2pVUnKxPYbkbLSl3G3xGQ7hHnMT0afNp"
    "1c06N06Y/1wkMAPSxf4vYjDSPQlOd3h5PCLtpnzTnh/AVdLBJ7HA0SHVN0eq8WpN7XHWEl9KRiD67b2p"
    "ttGZnCtBnX5/e41+YwmkykXN27nC8OdR3rG38KO1h0rbjuM5V2ZFzhsapTxuijtB0OGvIOmdZvtOpT+I"
    "bYQQ7tZK192wRnr4FEQhaPucdBqHFWXxa6pebHDSI0LBy00km/P40rcjwHEAAAAAAAAAAAAAAAEAAAAG"
    "Y2VydGlkAAAABQAAAAF4AAAAAGsMOmwAAAAAbOwczgAAAAAAAACCAAAAFXBlcm1pdC1YMTEtZm9yd2Fy"
    "ZGluZwAAAAAAAAAXcGVybWl0LWFnZW50LWZvcndhcmRpbmcAAAAAAAAAFnBlcm1pdC1wb3J0LWZvcndh"
    "cmRpbmcAAAAAAAAACnBlcm1pdC1wdHkAAAAAAAAADnBlcm1pdC11c2VyLXJjAAAAAAAAAAAAAAAzAAAA"
    "C3NzaC1lZDI1NTE5AAAAIHg2AC+SXb5z4r57gGtpFnEx5u2BQuXndtTiLX/PoMhkAAAAUwAAAAtzc2gt"
    "ZWQyNTUxOQAAAED2v3LOpzAXWEM9MmU/+oAnCcTe3j0O8VjON9XoiEYiE2Za5KwcyZOzH8+vCs5RdqjD"
    "C0yCN3g0gqBJqBNaET4H"
    " rsa3072@test"
)

# Fingerprints as printed by `ssh-keygen -l -f`.
ED25519_FP = "SHA256:8ZhRS8SLVhunbO70oDm0RxhSft//K2QHvJCLO4VFBTo"
RSA3072_FP = "SHA256:5lsUCA2PM4W0Ak/318+B4vKh5EX+5mQkjhKvylVPK/M"
