"""The doctor's checks, by what they look at; ``trailguard.infra.doctor.CHECKS`` lists them."""
