package authz

// IsProvinceAdmin asks whether the actor administers some province, any province.
//
// Deprecated: it is the tenant breach of issue 14 (a province administrator of one province passed
// for all); it goes once every module asks AdministersProvince or MayChange instead.
func (a *Actor) IsProvinceAdmin() bool { return a.Has(ProvinceAdmin) }
