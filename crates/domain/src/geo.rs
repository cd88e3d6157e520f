//! Positions on the WGS-84 ellipsoid and distances between them.

use geo::{Distance, Haversine, Point};
use serde::{Deserialize, Serialize};

/// A WGS-84 position in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude, positive north.
    pub lat: f64,
    /// Longitude, positive east.
    pub lon: f64,
}

impl GeoPoint {
    /// A point from latitude and longitude.
    pub const fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }

    /// Whether the coordinates are finite and within the valid ranges.
    pub fn is_valid(&self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
    }

    /// Great-circle distance in metres (haversine, mean Earth radius).
    pub fn distance_m(&self, other: &GeoPoint) -> f64 {
        Haversine.distance(
            Point::new(self.lon, self.lat),
            Point::new(other.lon, other.lat),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changchun_to_linhai_is_about_1700_km() {
        let changchun = GeoPoint::new(43.8171, 125.3235);
        let linhai = GeoPoint::new(28.8584, 121.1448);
        let km = changchun.distance_m(&linhai) / 1000.0;
        assert!((1690.0..1720.0).contains(&km), "{km}");
    }

    #[test]
    fn out_of_range_points_are_invalid() {
        assert!(GeoPoint::new(43.8, 125.3).is_valid());
        assert!(!GeoPoint::new(91.0, 0.0).is_valid());
        assert!(!GeoPoint::new(0.0, f64::NAN).is_valid());
    }
}
